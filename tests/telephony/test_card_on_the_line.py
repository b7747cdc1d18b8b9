"""The card with more than one call and the line's small truths (issue 9, items 3, 4, 6), on the simulated line."""

import pytest
from PySide6.QtCore import Qt

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.core.callers import EndedBy
from hangup_coach.core.coach import Phase
from hangup_coach.core.events import CallEvent, EventKind
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.telephony.baresip import BaresipSoftphone
from hangup_coach.telephony.backoff import Backoff
from hangup_coach.telephony.simulator import SimulatedLine
from hangup_coach.ui.card import CoachCard
from test_baresip_adapter import FakeCtrlTcp, call_event


@pytest.fixture
def desk(qtbot, tmp_path):
    def make(softphone=None):
        line = softphone or SimulatedLine()
        controller = Controller(CallStore(open_db(tmp_path / "calls.db")), load_policy(), load_scripts("en"),
                                SystemClock(), QtScheduler(), Fill("1024"), line)
        card = CoachCard(controller, load_texts("en"))
        qtbot.addWidget(card)
        card.show()
        line.start()
        return card, controller, line
    return make


def rows(card):
    return [r for r in card.call_list.rows if r.isVisible()]


def test_a_call_ringing_during_a_wrap_up_is_listed_at_once_and_a_click_switches_to_it(qtbot, desk):
    card, controller, line = desk()
    line.ring("a", "13800138001")
    controller.answer()
    qtbot.keyClicks(card.note, "first call")
    line.customer_hangs_up("a")
    assert controller.current.phase is Phase.ENDED and card.wrapup.isVisible()
    assert not card.call_list.isVisible()
    line.ring("b", "13800138002")
    [row] = rows(card)
    assert card.call_list.isVisible() and row.property("state") == "ringing"
    assert "138****8002" in row.text() and "13800138002" not in row.text()
    assert controller.current.record.line_call_id == "a"           # the wrap-up keeps the focus
    qtbot.mouseClick(row, Qt.LeftButton)
    assert controller.current.record.line_call_id == "b" and card.buttons["answer"].isVisible()
    assert card.note.toPlainText() == ""
    first = controller.coach.by_line_id("a")
    assert controller.wait_saved()
    assert controller.worker.call(lambda store: store.note(first.record.id), 5) == "first call"   # saved on the switch
    assert [r.property("state") for r in rows(card)] == ["wrapup"]


def test_f4_answers_a_call_ringing_behind_the_one_in_focus_and_focuses_it(qtbot, desk):
    card, controller, line = desk()
    line.ring("a", "13800138001")
    controller.answer()
    line.ring("b", "13800138002")
    assert not card.buttons["answer"].isVisible()                  # the focused call is not ringing
    card.press("answer")                                           # what the Answer key triggers
    assert controller.current.record.line_call_id == "b" and controller.current.phase is Phase.TALKING
    assert [r.property("state") for r in rows(card)] == ["talking"]


def test_a_rejected_ringing_call_is_not_labelled_as_the_caller_giving_up(qtbot, desk):
    card, controller, line = desk()
    line.ring("a", "13800138001")
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)       # the agent rejects it while it rings
    assert card.flag.text() == card.t["rejected"]
    line.ring("b", "13800138002")
    controller.current.wrap_up("missed")
    line.customer_hangs_up("b")
    assert card.flag.text() == card.t["missed"]


def test_finishing_the_wrap_up_needs_a_choice_when_the_line_could_not_say_who_ended(qtbot, desk):
    card, controller, line = desk()
    line.ring("a", "13800138001")
    controller.answer()
    line.event.emit(CallEvent(EventKind.ENDED, "a", None, EndedBy.UNKNOWN, "Request timeout"))
    assert card.ended_by_label.wordWrap() and card.ended_by_label.text() == card.t["ended_by_ask"]
    card.finish_wrapup()                                            # Ctrl+Return with "unknown" still there
    assert controller.current.phase is Phase.ENDED
    assert card.ended_by_label.text() == card.t["ended_by_required"]
    card.ended_by.activated.emit(card.ended_by.currentIndex())      # the agent picks "unknown" on purpose
    card.finish_wrapup()
    assert controller.current is None


def test_the_hang_up_error_while_offline_is_not_hidden_by_the_next_retry(qtbot, desk):
    fake = FakeCtrlTcp()
    phone = BaresipSoftphone("127.0.0.1", fake.port, backoff=Backoff(0.02, 0.05))
    card, controller, _line = desk(phone)
    qtbot.waitUntil(lambda: phone.state == "online" and fake.client is not None, timeout=3000)
    fake.send(call_event("CALL_INCOMING") + call_event("CALL_ESTABLISHED"))
    qtbot.waitUntil(lambda: controller.current is not None and controller.current.phase is Phase.TALKING, timeout=2000)
    fake.close()
    fake.drop()                                                    # baresip is gone
    qtbot.waitUntil(lambda: phone.state == "offline", timeout=2000)
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)       # F9 while offline
    shown = card.status.text()
    assert shown.startswith("hangup:") and "offline" in card.status.toolTip()
    retries = []
    phone.status_changed.connect(lambda *a: retries.append(a))
    qtbot.waitUntil(lambda: len(retries) >= 2, timeout=2000)      # the adapter retried twice meanwhile
    assert card.status.text() == shown
    phone.stop()


class HoldingLine(SimulatedLine):
    """The simulated line, plus what baresip does on hold and resume."""

    def __init__(self):
        super().__init__()
        self.resumed = []

    def hold(self, call_id):
        self.event.emit(CallEvent(EventKind.HELD, call_id))

    def resume(self, call_id):
        self.resumed.append(call_id)
        self.event.emit(CallEvent(EventKind.RESUMED, call_id))


def test_the_held_call_is_taken_off_hold_when_the_agent_turns_to_it(qtbot, desk):
    line = HoldingLine()
    card, controller, _ = desk(line)
    line.ring("a", "13800138001")
    controller.answer()
    line.ring("b", "13800138002")
    controller.answer()                                   # B in focus, A held by the line
    line.hold("a")
    assert [r.property("state") for r in rows(card)] == ["held"]
    line.customer_hangs_up("b")
    qtbot.mouseClick(card.buttons["done"], Qt.LeftButton)  # B wrapped up: the agent turns to A
    assert controller.current.record.line_call_id == "a" and line.resumed == ["a"]
    assert not controller.current.held


def test_tab_leaves_the_note_and_a_note_shown_again_continues_at_its_end(qtbot, desk):
    card, controller, line = desk()
    line.ring("a", "13800138001")
    controller.answer()
    qtbot.keyClicks(card.note, "first part")
    qtbot.keyClick(card.note, Qt.Key_Tab)                          # leaves the field, inserts nothing
    assert card.note.toPlainText() == "first part"
    line.ring("b", "13800138002")
    card.call_list.rows[0].click()                                 # to B and back to A
    card.call_list.rows[0].click()
    assert controller.current.record.line_call_id == "a"
    qtbot.keyClicks(card.note, ", second part")
    assert card.note.toPlainText() == "first part, second part"
