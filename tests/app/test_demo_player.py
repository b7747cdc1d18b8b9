"""The demo's simulated agent follows shift time, not the number of timers that fired: on a loaded
machine (or at --speed 50) a timer fires late, and the agent has typed what was due by then."""

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.core.clock import FakeClock
from hangup_coach.launch.demo import Shift, ShiftPlayer
from hangup_coach.telephony.simulator import SimulatedLine
from hangup_coach.ui.card import CoachCard

NOTE = "客户查询本月话费，已告知明细。"


class LateTimers:
    """The player's scheduler: its timers fire only when the test says (late)."""

    def __init__(self):
        self.due = []

    def call_later(self, seconds, fn):
        self.due.append(fn)

    def fire(self):
        waiting, self.due = self.due, []
        for fn in waiting:
            fn()


def test_a_late_typing_timer_types_every_character_due_by_then(qtbot):
    clock = FakeClock()
    line = SimulatedLine()
    controller = Controller(None, load_policy(), load_scripts("zh_CN"), clock, clock, Fill("1024"), line)
    card = CoachCard(controller, load_texts("zh_CN"))
    qtbot.addWidget(card)
    late = LateTimers()
    player = ShiftPlayer(Shift(typing_cps=10), line, card, controller, late, parent=card)
    player._line_id = "demo-1"

    player._type("demo-1", NOTE)
    assert card.note.toPlainText() == NOTE[:1]                   # the first character at once
    clock.advance(0.5)
    late.fire()                                                   # one timer, half a second late
    assert card.note.toPlainText() == NOTE[:6]                    # 10 characters a second: 6 by now
    clock.advance(10.0)
    late.fire()
    assert card.note.toPlainText() == NOTE and not late.due       # all of it, and typing stops
    player._line_id = "demo-2"                                    # the next call: nothing more is typed
    player._type("demo-1", "late")
    assert card.note.toPlainText() == NOTE
