"""Nothing cut off, nothing off-screen: every class, prompt and wrap-up state, in both languages,
at 100 % and 200 %, on a 1280x800 screen (tests/ui/conftest.py sets the offscreen screen)."""

import pytest

from PySide6.QtCore import QPoint

from hangup_coach.core.callers import SUB_REASONS, CallerClass, EndedBy
from hangup_coach.core.coach import Phase
from fit import problems


def settle(qtbot, card):
    qtbot.wait(5)          # the card fits its height one event-loop turn after a render


def check(qtbot, card, state, failures):
    settle(qtbot, card)
    failures.extend(f"{state}: {p}" for p in problems(card))


def walk_states(qtbot, card, controller, line):
    """Yields a name for each state the card can show; the card is in that state when it yields."""
    yield "idle"
    policy = controller.policy
    n = 0
    for cls, subs in SUB_REASONS.items():
        for sub in subs:
            n += 1
            call = f"c{n}"
            line.ring(call, "13800138000")
            yield f"{cls.value}/{sub.value} ringing"
            card.buttons["answer"].click()
            session = controller.current
            card.reclassify(cls, sub)
            yield f"{cls.value}/{sub.value} talking"
            for _ in range(policy.warnings_before_cutoff if cls is CallerClass.NO_VALUE else 0):
                session.warn()
            for _ in range(policy.explanations_before_polite_end if cls is CallerClass.NON_REGULAR else 0):
                session.explain()
            if cls in (CallerClass.NO_VALUE, CallerClass.NON_REGULAR):
                yield f"{cls.value}/{sub.value} prompt"
            else:
                session.confirm_closure()
                yield f"{cls.value} grace"
                qtbot.waitUntil(lambda: controller.current.phase is Phase.HANGUP_ALLOWED, timeout=3000)
                yield f"{cls.value} closing line"
            card.note.setPlainText("客户来电查询话费，已解释 / asked about the bill, explained")
            card.buttons["hang_up"].click()
            yield f"{cls.value}/{sub.value} wrap-up"
            card.buttons["done"].click()
    line.ring("early", "13800138000")
    card.buttons["answer"].click()
    card.buttons["hang_up"].click()
    yield "ended early wrap-up"
    card.buttons["done"].click()
    line.ring("grace-left", "13800138000")
    card.buttons["answer"].click()
    controller.current.confirm_closure()
    line.customer_hangs_up("grace-left")
    yield "customer left in the wait"
    card.buttons["done"].click()
    line.ring("missed", "13800138000")
    line.customer_hangs_up("missed")
    yield "missed wrap-up"
    card.buttons["done"].click()
    line.ring("nobody", "")
    card.buttons["answer"].click()
    controller.current.ended(EndedBy.UNKNOWN)
    yield "unknown number, unknown who ended"


@pytest.mark.parametrize("scale", [1.0, 2.0])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_state_fits_and_nothing_is_cut(qtbot, make_card, lang, scale):
    card, controller, line, store = make_card(lang=lang, scale=scale, grace=0.3)
    failures = []
    for state in walk_states(qtbot, card, controller, line):
        check(qtbot, card, state, failures)
    manual, *_ = make_card(lang=lang, scale=scale, softphone=False)
    check(qtbot, manual, "manual idle", failures)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_a_saved_position_off_every_screen_is_pulled_back(qtbot, make_card, scale):
    card, *_ = make_card(scale=scale)
    card.move(QPoint(5000, 3000))                 # a monitor that is no longer there
    card.keep_on_screen()
    assert card.screen().availableGeometry().contains(card.frameGeometry())
    card.move(QPoint(-900, 700))
    card.keep_on_screen()
    assert card.screen().availableGeometry().contains(card.frameGeometry())
