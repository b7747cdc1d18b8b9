"""What the card shows, decided in core: signals an agent reads at a glance."""

import pytest

from hangup_coach.app.resources import load_policy, load_scripts
from hangup_coach.core.callers import CallerClass, EndedBy, SubReason
from hangup_coach.core.card_view import Line, card_view
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import Coach, Phase
from hangup_coach.core.classify import CallerHistory

POLICY = load_policy()
SCRIPTS = load_scripts("en")
MANUAL, SOFTPHONE = Line(), Line(can_answer=True, can_hang_up=True)


@pytest.fixture
def coach():
    clock = FakeClock()
    return Coach(POLICY, clock, clock, history=lambda e164: CallerHistory(), render_reason=SCRIPTS.render_reason)


def talking(coach, cls=CallerClass.REGULAR, sub=SubReason.NONE):
    session = coach.ring("13800138000", "c1")
    session.answered()
    if cls is not CallerClass.REGULAR:
        session.reclassify(cls, sub, "set")
    return session


def test_a_regular_call_shows_no_counters_and_the_hang_up_changes_once_allowed(coach):
    session = talking(coach)
    view = card_view(session, POLICY, SCRIPTS, SOFTPHONE)
    assert view.explanations is None and view.warnings is None
    assert view.closure_button and view.hang_up_button and not view.hang_up_allowed
    session.confirm_closure()
    coach.clock.advance(POLICY.grace_seconds)
    view = card_view(session, POLICY, SCRIPTS, SOFTPHONE)
    assert view.phase is Phase.HANGUP_ALLOWED and view.hang_up_allowed and view.prompt.kind == "closing"
    assert view.number == "138****8000" and view.badge == "Regular"


def test_non_regular_counts_explanations_and_no_value_drops_the_closure_after_a_warning(coach):
    session = talking(coach, CallerClass.NON_REGULAR, SubReason.CLOSED_CASE)
    view = card_view(session, POLICY, SCRIPTS, MANUAL)
    assert view.explanations.button and view.explanations.count == 0 and view.warnings is None
    for _ in range(POLICY.explanations_before_polite_end):
        session.explain()
    view = card_view(session, POLICY, SCRIPTS, MANUAL)
    assert view.explanations.reached and view.hang_up_allowed and view.customer_hung_up_button

    other = coach.ring("13700007777", "c2")
    other.answered()
    other.reclassify(CallerClass.NO_VALUE, SubReason.ABUSE, "set")
    view = card_view(other, POLICY, SCRIPTS, MANUAL)
    assert view.warnings.button and view.closure_button and view.explanations is None
    other.warn()
    view = card_view(other, POLICY, SCRIPTS, MANUAL)
    assert not view.closure_button and view.hang_up_allowed and view.prompt.kind == "ending"


def test_a_missed_call_is_flagged_and_suggests_missed(coach):
    session = coach.ring("13800138000", "c1")
    view = card_view(session, POLICY, SCRIPTS, SOFTPHONE)
    assert view.ringing and view.answer_button and view.explanations is None
    session.ended(EndedBy.CUSTOMER)
    view = card_view(session, POLICY, SCRIPTS, SOFTPHONE)
    assert view.wrapup and view.flags == ("missed",) and view.suggested_disposition == "missed"
    assert not view.hang_up_button and view.explanations is None


def test_ending_early_is_flagged(coach):
    session = talking(coach)
    session.ended(EndedBy.AGENT)
    view = card_view(session, POLICY, SCRIPTS, MANUAL)
    assert view.flags == ("early",) and view.ended_by == "agent" and view.suggested_disposition == "resolved"


def test_note_preview_is_one_line_and_cut():
    from hangup_coach.core.card_view import note_preview
    assert note_preview("a\n b  c") == "a b c"
    cut = note_preview("x" * 100, 10)
    assert cut == "x" * 9 + "…" and len(cut) == 10
