"""Every rule of the hang-up policy, on a fake clock."""

import dataclasses
from datetime import timedelta

import pytest

from hangup_coach.app.resources import load_policy
from hangup_coach.core.callers import CallerClass, EndedBy, SubReason
from hangup_coach.core.classify import CallerHistory, CallerProfile, PastCall
from hangup_coach.core.coach import Phase
from hangup_coach.core.events import NOT_ON_LINE, CallEvent, EventKind, LineCall


def talking(coach, number="13800138000", line_id="line-1"):
    session = coach.ring(number, line_id)
    session.answered()
    return session


def test_regular_call_may_end_at_exactly_two_seconds_not_before(make_coach, clock):
    session = talking(make_coach())
    clock.advance(30)
    session.confirm_closure()
    assert session.phase is Phase.GRACE and session.prompt is None
    clock.advance(1.99)
    assert not session.hangup_allowed and session.phase is Phase.GRACE
    assert session.grace_remaining == pytest.approx(0.01)
    clock.advance(0.01)
    assert session.hangup_allowed and session.phase is Phase.HANGUP_ALLOWED
    assert session.prompt.kind == "closing" and session.prompt.allows_hangup
    rec = session.record
    assert (rec.hangup_prompted_at - rec.closure_confirmed_at).total_seconds() == pytest.approx(2.0)


def test_grace_seconds_come_from_the_policy(make_coach, clock):
    session = talking(make_coach(dataclasses.replace(load_policy(), grace_seconds=5.0)))
    session.confirm_closure()
    clock.advance(4.99)
    assert not session.hangup_allowed
    clock.advance(0.01)
    assert session.hangup_allowed


def test_customer_hanging_up_during_the_wait(make_coach, clock):
    session = talking(make_coach())
    session.confirm_closure()
    clock.advance(1.0)
    session.ended(EndedBy.CUSTOMER, "Connection reset by peer")
    rec = session.record
    assert rec.customer_hung_up_in_grace and rec.ended_by == "customer" and not rec.agent_ended_early
    clock.advance(5)                      # the cancelled timer never fires afterwards
    assert rec.hangup_allowed_at is None and session.phase is Phase.ENDED


def test_customer_hanging_up_after_the_wait_is_not_counted_as_in_grace(make_coach, clock):
    session = talking(make_coach())
    session.confirm_closure()
    clock.advance(2.5)
    session.ended(EndedBy.CUSTOMER)
    assert not session.record.customer_hung_up_in_grace


def test_agent_ending_before_closure_is_confirmed_is_flagged(make_coach, clock):
    session = talking(make_coach())
    clock.advance(20)
    session.ended(EndedBy.AGENT)
    assert session.record.agent_ended_early


def test_agent_ending_during_the_wait_is_flagged(make_coach, clock):
    session = talking(make_coach())
    session.confirm_closure()
    clock.advance(1.5)
    session.ended(EndedBy.AGENT)
    assert session.record.agent_ended_early


def test_agent_ending_after_the_prompt_is_not_flagged(make_coach, clock):
    session = talking(make_coach())
    session.confirm_closure()
    clock.advance(2.0)
    clock.advance(1.0)
    session.ended(EndedBy.AGENT)
    rec = session.record
    assert not rec.agent_ended_early and rec.hangup_prompted_at < rec.ended_at


def test_cancel_closure_stops_the_wait(make_coach, clock):
    session = talking(make_coach())
    session.confirm_closure()
    clock.advance(1.0)
    session.cancel_closure()
    clock.advance(5.0)
    assert session.phase is Phase.TALKING and not session.hangup_allowed
    assert session.record.closure_confirmed_at is None


def test_no_value_caller_may_be_cut_off_after_the_warning(make_coach, clock):
    session = talking(make_coach())
    session.reclassify(CallerClass.NO_VALUE, SubReason.ABUSE, "swearing")
    assert session.prompt.key == "warning.abuse" and not session.prompt.allows_hangup
    assert not session.hangup_allowed
    session.warn()
    assert session.prompt.key == "ending.abuse" and session.hangup_allowed
    session.ended(EndedBy.AGENT)
    assert not session.record.agent_ended_early and session.record.warnings == 1


def test_non_regular_caller_after_the_third_explanation(make_coach, clock):
    session = talking(make_coach())
    session.reclassify(CallerClass.NON_REGULAR, SubReason.CLOSED_CASE, "")
    for _ in range(2):
        session.explain()
        assert session.prompt is None and not session.hangup_allowed
    session.explain()
    assert session.prompt.key == "explanation_limit.closed_case" and session.hangup_allowed


def test_thresholds_are_data_not_code(make_coach, clock):
    policy = dataclasses.replace(load_policy(), explanations_before_polite_end=5, warnings_before_cutoff=2)
    session = talking(make_coach(policy))
    session.reclassify(CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH, "")
    for _ in range(4):
        session.explain()
    assert not session.hangup_allowed
    session.explain()
    assert session.hangup_allowed
    other = talking(make_coach(policy), "13900001111")
    other.reclassify(CallerClass.NO_VALUE, SubReason.HARASSMENT, "")
    other.warn()
    assert not other.hangup_allowed
    other.warn()
    assert other.hangup_allowed


def test_explanations_do_not_allow_ending_a_regular_call(make_coach):
    session = talking(make_coach())
    for _ in range(5):
        session.explain()
    assert not session.hangup_allowed and session.record.explanations == 5


def test_reclassification_is_recorded_as_the_agents(make_coach):
    session = talking(make_coach())
    assert session.record.class_source == "auto"
    session.reclassify(CallerClass.NO_VALUE, SubReason.OUT_OF_SCOPE, "asked about the weather")
    rec = session.record
    assert (rec.caller_class, rec.sub_reason, rec.class_source) == ("no_value", "out_of_scope", "agent")
    assert rec.class_reason == "asked about the weather"
    with pytest.raises(ValueError):
        session.reclassify(CallerClass.NO_VALUE, SubReason.CLOSED_CASE, "")   # not a no-value reason


def test_missed_call(make_coach):
    coach = make_coach()
    session = coach.ring("13800138000", "line-1")
    session.ended(EndedBy.CUSTOMER, "Connection reset by peer")
    rec = session.record
    assert rec.answered_at is None and rec.disposition == "missed" and not rec.agent_ended_early


def test_wrap_up_needs_an_ended_call_and_a_known_disposition(make_coach):
    session = talking(make_coach())
    with pytest.raises(RuntimeError):
        session.wrap_up("resolved")
    session.ended(EndedBy.UNKNOWN, "Request timeout")
    with pytest.raises(ValueError):
        session.wrap_up("made up")
    session.wrap_up("resolved", EndedBy.CUSTOMER)
    assert session.phase is Phase.DONE and session.record.ended_by == "customer"


def test_counting_stops_when_the_call_has_ended(make_coach):
    session = talking(make_coach())
    session.ended(EndedBy.CUSTOMER)
    session.explain()
    session.warn()
    session.confirm_closure()
    assert session.record.explanations == 0 and session.record.warnings == 0
    assert session.phase is Phase.ENDED


def test_events_from_the_line(make_coach):
    coach = make_coach()
    # auto-answer: the first event of a call is ANSWERED
    session = coach.handle(CallEvent(EventKind.ANSWERED, "sip-1", "sip-number-13800138000"))
    assert session.phase is Phase.TALKING and session.record.line_call_id == "sip-1"
    assert coach.handle(CallEvent(EventKind.ENDED, "never-seen", "1", EndedBy.CUSTOMER)) is None
    coach.handle(CallEvent(EventKind.ENDED, "sip-1", None, EndedBy.CUSTOMER, "Connection reset by peer"))
    assert session.record.ended_by == "customer" and session.record.close_reason == "Connection reset by peer"
    coach.handle(CallEvent(EventKind.ENDED, "sip-1", None, EndedBy.AGENT))   # a duplicate end changes nothing
    assert session.record.ended_by == "customer"


def test_every_change_is_announced(make_coach, clock):
    coach = make_coach()
    session = talking(coach)
    session.confirm_closure()
    clock.advance(2)
    session.ended(EndedBy.AGENT)
    assert coach.changes == [Phase.RINGING, Phase.TALKING, Phase.GRACE, Phase.HANGUP_ALLOWED, Phase.ENDED]


def test_open_calls_resume_after_a_restart(make_coach, clock):
    first = make_coach()
    talking_call = talking(first, "13800000001")
    waiting = talking(first, "13800000002")
    waiting.confirm_closure()
    ended = talking(first, "13800000003")
    ended.ended(EndedBy.CUSTOMER)
    again = make_coach()
    phases = [again.resume(s.record).phase for s in (talking_call, waiting, ended)]
    assert phases == [Phase.TALKING, Phase.GRACE, Phase.ENDED]   # the wait runs on from its confirmation
    assert again.current.record.id == talking_call.record.id      # a live call before a wrap-up
    assert [s.record.id for s in again.others] == [waiting.record.id, ended.record.id]


def test_withheld_number_is_unknown_not_an_error(make_coach):
    session = make_coach().ring(None, "x")
    assert session.caller_class is CallerClass.UNKNOWN and session.record.caller_number is None
    assert session.record.class_reason == "Number withheld or unreadable"


def test_classification_uses_the_history_lookup(make_coach, clock):
    now = clock.now()
    known = CallerHistory((PastCall(now - timedelta(days=1), CallerClass.NON_REGULAR, SubReason.CLOSED_CASE),),
                          CallerProfile("1234", now - timedelta(days=20)))
    session = make_coach(histories={"+8613912345678": known}).ring("139 1234 5678")
    assert (session.caller_class, session.sub_reason) == (CallerClass.NON_REGULAR, SubReason.CLOSED_CASE)
    assert "complaint #1234" in session.record.class_reason


# ----- more than one call: one in focus, the others kept -------------------------------------------


def test_a_second_call_ringing_does_not_take_the_focus_but_answering_it_does(make_coach):
    coach = make_coach()
    first = talking(coach, "13800000001", "a")
    second = coach.handle(CallEvent(EventKind.RINGING, "b", "13800000002"))
    assert coach.current is first
    coach.handle(CallEvent(EventKind.ANSWERED, "b"))          # auto-answer: two connected, none held
    assert second.phase is Phase.TALKING
    assert coach.current is second and coach.others == [first]   # the one answered last
    second.explain()                                           # actions go to the call in focus
    assert (first.record.explanations, second.record.explanations) == (0, 1)
    coach.focus(first.record.id)                               # the agent's click still chooses
    coach.handle(CallEvent(EventKind.RINGING, "c", "13800000003"))
    assert coach.current is first


def test_the_agent_moves_the_focus_and_the_next_call_takes_it_after_a_wrap_up(make_coach):
    coach = make_coach()
    first = talking(coach, "13800000001", "a")
    ringing = coach.handle(CallEvent(EventKind.RINGING, "b", "13800000002"))
    assert coach.focus(ringing.record.id) is ringing and coach.current is ringing
    assert coach.others == [first]
    coach.focus(first.record.id)
    coach.handle(CallEvent(EventKind.ENDED, "a", None, EndedBy.CUSTOMER))
    third = coach.handle(CallEvent(EventKind.RINGING, "c", "13800000003"))
    assert coach.current is first and first.phase is Phase.ENDED     # its wrap-up stays in focus...
    assert coach.others == [ringing, third]                          # ...and the ringing calls are listed
    first.wrap_up("resolved")
    assert coach.current is ringing                                  # the oldest ringing call comes next
    assert coach.focus(first.record.id) is None                      # a wrapped-up call cannot be focused


def test_a_held_call_comes_after_a_ringing_one_and_holding_is_announced(make_coach):
    coach = make_coach()
    first = talking(coach, "13800000001", "a")
    second = talking(coach, "13800000002", "b")
    coach.focus(second.record.id)
    coach.handle(CallEvent(EventKind.HELD, "a"))
    assert first.held and coach.changes[-1] is Phase.TALKING
    ringing = coach.handle(CallEvent(EventKind.RINGING, "c", "13800000003"))
    second.ended(EndedBy.CUSTOMER)
    second.wrap_up("resolved")
    assert coach.current is ringing
    coach.handle(CallEvent(EventKind.RESUMED, "a"))
    assert not first.held


def test_a_late_event_for_an_ended_call_never_opens_a_ghost_call(make_coach):
    coach = make_coach()
    session = talking(coach, "13800000001", "a")
    session.ended(EndedBy.CUSTOMER)
    session.wrap_up("resolved")
    coach.forget_done()
    for kind in (EventKind.ANSWERED, EventKind.RINGING, EventKind.HELD, EventKind.ENDED):
        assert coach.handle(CallEvent(kind, "a", "13800000001")) is None
    assert coach.current is None and coach.sessions == {}


def test_a_late_event_after_a_restart_finds_the_wrapped_up_call(make_coach):
    first = make_coach()
    session = talking(first, "13800000001", "a")
    session.ended(EndedBy.CUSTOMER)
    session.wrap_up("resolved")
    again = make_coach()
    again.resume(session.record)
    again.forget_done()
    assert again.handle(CallEvent(EventKind.ANSWERED, "a")) is None and again.current is None


# ----- reconciling with the line's own list of calls ----------------------------------------------


def test_reconcile_closes_calls_the_line_no_longer_has_and_keeps_the_rest(make_coach):
    coach = make_coach()
    gone = talking(coach, "13800000001", "a")
    still = talking(coach, "13800000002", "b")
    manual = coach.ring("13800000003")      # a call the agent started by hand has no line id: untouched
    manual.answered()
    coach.reconcile([LineCall("b", "13800000002", answered=True, held=True)])
    assert gone.phase is Phase.ENDED and gone.record.ended_by == "unknown"
    assert gone.record.close_reason == NOT_ON_LINE
    assert still.phase is Phase.TALKING and still.held
    assert manual.phase is Phase.TALKING


def test_reconcile_opens_and_records_calls_only_the_line_has(make_coach, clock):
    coach = make_coach(histories={"+8613800000009": CallerHistory((PastCall(
        clock.now() - timedelta(days=1), CallerClass.NO_VALUE, SubReason.ABUSE, warnings=1),))})
    ringing_on_card = coach.handle(CallEvent(EventKind.RINGING, "a", "13800000001"))
    coach.reconcile([LineCall("a", "13800000001", answered=True), LineCall("x", "13800000009", answered=False),
                     LineCall("y", "13800000008", answered=True)])
    assert ringing_on_card.phase is Phase.TALKING                      # answered while the card was away
    by_id = {s.record.line_call_id: s for s in coach.sessions.values()}
    assert by_id["x"].phase is Phase.RINGING and by_id["x"].caller_class is CallerClass.NO_VALUE
    assert by_id["y"].phase is Phase.TALKING and by_id["y"].record.caller_number == "+8613800000008"
    assert coach.current is ringing_on_card


def test_reconcile_without_line_ids_matches_by_number_and_state(make_coach):
    coach = make_coach()
    talked = talking(coach, "13800000001", "a")
    rang = coach.handle(CallEvent(EventKind.RINGING, "b", "13800000001"))
    coach.reconcile([LineCall("", "13800000001", answered=False)])
    assert rang.phase is Phase.RINGING               # same number, same state: kept
    assert talked.phase is Phase.ENDED               # same number but it was answered: not the listed call


def test_reconcile_after_the_call_ended_on_the_card_does_not_reopen_it(make_coach):
    coach = make_coach()
    session = talking(coach, "13800000001", "a")
    session.ended(EndedBy.AGENT)
    coach.reconcile([LineCall("a", "13800000001", answered=True)])   # listcalls raced the BYE
    assert len(coach.sessions) == 1 and session.phase is Phase.ENDED


# ----- the agent's correction sticks (the feedback loop) -------------------------------------------


def test_a_reclassification_to_regular_makes_the_next_call_regular(make_coach, clock):
    """Past calls feed the next classification exactly as the store would give them back."""
    records = []

    def history(e164):
        return CallerHistory(tuple(PastCall(r.started_at, CallerClass(r.caller_class), SubReason(r.sub_reason),
                                            r.class_source, r.warnings, r.explanations, r.disposition)
                                   for r in reversed(records) if r.caller_number == e164))

    coach = make_coach()
    coach.history = history
    first = talking(coach, "13800000001", "a")
    first.reclassify(CallerClass.NO_VALUE, SubReason.HARASSMENT, "")   # one wrong click...
    first.ended(EndedBy.AGENT)
    first.wrap_up("other")
    records.append(first.record)
    clock.advance(3600)
    second = talking(coach, "13800000001", "b")
    assert second.caller_class is CallerClass.NO_VALUE                 # ...is followed, as the agent said
    second.reclassify(CallerClass.REGULAR, SubReason.NONE, "")         # and corrected
    second.ended(EndedBy.CUSTOMER)
    second.wrap_up("resolved")
    records.append(second.record)
    for n in range(3):                                                  # it stays corrected, call after call
        clock.advance(3600)
        later = talking(coach, "13800000001", f"c{n}")
        assert (later.caller_class, later.record.class_reason_key) == (CallerClass.REGULAR, "agent_corrected")
        later.ended(EndedBy.CUSTOMER)
        later.wrap_up("resolved")
        records.append(later.record)
