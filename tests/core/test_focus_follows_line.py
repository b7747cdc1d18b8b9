"""Issue 20: the focus follows the line (one rule, Coach._follow_line), ended ids across restarts,
the stale-call limit, the agent closing a call, the 2-second wait across a restart. Fake clock."""

from datetime import timedelta

import pytest

from hangup_coach.core.callers import EndedBy
from hangup_coach.core.coach import Phase
from hangup_coach.core.events import CLOSED_ON_CARD, STALE, CallEvent, EventKind, LineCall


def event(kind, call_id, number=None, by=EndedBy.UNKNOWN):
    return CallEvent(kind, call_id, number, by)


def answered_call(coach, call_id, number):
    coach.handle(event(EventKind.RINGING, call_id, number))
    return coach.handle(event(EventKind.ANSWERED, call_id))


def test_call_waiting_the_call_answered_on_the_phone_takes_the_keys(make_coach):
    coach = make_coach()
    moves = []
    coach.on_focus_moved(lambda before, now: moves.append((before.record.line_call_id, now.record.line_call_id)))
    a = answered_call(coach, "A", "13800000001")
    b = coach.handle(event(EventKind.RINGING, "B", "13800000002"))
    assert coach.current is a                                   # ringing never takes the focus
    coach.handle(event(EventKind.HELD, "A"))                    # the bridge holds A, the agent answers B
    assert coach.current is a                                   # nobody is talking yet: A keeps it
    coach.handle(event(EventKind.ANSWERED, "B"))
    assert coach.current is b and moves == [("A", "B")]
    coach.handle(event(EventKind.RESUMED, "A"))                 # back to A on the phone (B held first)
    assert coach.current is a


def test_a_focused_call_put_on_hold_hands_the_keys_to_the_call_being_talked_to(make_coach):
    coach = make_coach()
    a = answered_call(coach, "A", "13800000001")
    b = answered_call(coach, "B", "13800000002")
    coach.focus(a.record.id)                                    # the agent looks at A
    coach.handle(event(EventKind.HELD, "A"))                    # the phone holds A: B is the one talking
    assert coach.current is b
    coach.focus(a.record.id)                                    # the agent picks the held call on purpose
    coach.handle(event(EventKind.RINGING, "C", "13800000003"))
    assert coach.current is a                                   # a held call keeps a focus it was given


def test_after_a_restart_the_talking_call_has_the_keys_not_the_held_one(make_coach, clock):
    first = make_coach()
    a = answered_call(first, "A", "13800000001")
    clock.advance(5)
    b = answered_call(first, "B", "13800000002")
    again = make_coach()
    # A answered later than B in this run: the focus before the line speaks would go to A
    a.record.answered_at, b.record.answered_at = b.record.answered_at, a.record.answered_at
    for record in (a.record, b.record):
        again.resume(record)
    assert again.current.record.line_call_id == "A"
    again.reconcile([LineCall("A", "13800000001", answered=True, held=True),
                     LineCall("B", "13800000002", answered=True)])
    assert again.current.record.line_call_id == "B" and again.by_line_id("A").held


def test_ended_ids_from_the_database_are_ignored_across_restarts(make_coach):
    coach = make_coach()
    coach.remember_ended(["A-1001"])
    for kind in (EventKind.RINGING, EventKind.ANSWERED, EventKind.ENDED):
        assert coach.handle(event(kind, "A-1001", "13800000001")) is None
    coach.reconcile([LineCall("A-1001", "13800000001", answered=True)])
    assert coach.sessions == {}


def test_an_end_before_the_ring_marks_the_id_ended(make_coach):
    coach = make_coach()
    assert coach.handle(event(EventKind.ENDED, "late", by=EndedBy.CUSTOMER)) is None
    assert coach.handle(event(EventKind.RINGING, "late", "13800000001")) is None
    assert coach.sessions == {}


def test_a_call_silent_past_the_limit_is_closed_as_unknown_and_said_so(make_coach, clock):
    coach = make_coach()
    quiet = answered_call(coach, "A", "13800000001")
    clock.advance(3 * 3600)
    heard = answered_call(coach, "B", "13800000002")
    clock.advance(3600 + 1)
    assert coach.close_stale(4 * 3600) == [quiet]
    assert quiet.phase is Phase.ENDED and quiet.record.ended_by == "unknown" and quiet.record.close_reason == STALE
    assert heard.phase is Phase.TALKING


def test_the_agent_closes_a_call_the_line_never_ended(make_coach):
    coach = make_coach()
    a = answered_call(coach, "A", "13800000001")
    assert coach.close_by_agent("ended_on_phone") is a
    assert a.phase is Phase.ENDED and a.record.close_reason == f"{CLOSED_ON_CARD}: ended_on_phone"
    assert coach.close_by_agent("again") is None
    coach.handle(event(EventKind.ANSWERED, "A"))                  # a late event changes nothing
    assert a.phase is Phase.ENDED and len(coach.sessions) == 1


def test_a_restart_inside_the_wait_keeps_the_two_seconds_from_the_confirmation(make_coach, clock):
    first = make_coach()
    a = answered_call(first, "A", "13800000001")
    a.confirm_closure()
    confirmed = a.record.closure_confirmed_at
    clock.advance(0.5)
    again = make_coach()
    resumed = again.resume(a.record)
    assert resumed.phase is Phase.GRACE and resumed.grace_remaining == pytest.approx(1.5)
    clock.advance(1.5)
    assert resumed.phase is Phase.HANGUP_ALLOWED
    assert resumed.record.hangup_allowed_at - confirmed == timedelta(seconds=2)


def test_a_restart_after_the_wait_dates_the_permission_two_seconds_after_the_confirmation(make_coach, clock):
    first = make_coach()
    a = answered_call(first, "A", "13800000001")
    a.confirm_closure()
    clock.advance(4)
    resumed = make_coach().resume(a.record)
    assert resumed.phase is Phase.HANGUP_ALLOWED
    assert resumed.record.hangup_allowed_at - a.record.closure_confirmed_at == timedelta(seconds=2)


def test_a_rejected_ringing_call_is_recorded_rejected_not_missed(make_coach):
    coach = make_coach()
    rejected = coach.handle(event(EventKind.RINGING, "A", "13800000001"))
    coach.handle(event(EventKind.ENDED, "A", by=EndedBy.AGENT))
    missed = coach.handle(event(EventKind.RINGING, "B", "13800000002"))
    coach.handle(event(EventKind.ENDED, "B", by=EndedBy.CUSTOMER))
    assert (rejected.record.disposition, missed.record.disposition) == ("rejected", "missed")


def test_times_found_on_the_line_are_taken_from_its_elapsed_time(make_coach, clock):
    coach = make_coach()
    coach.reconcile([LineCall("A", "13800000001", answered=True, connected_for=8.0)])
    found = coach.by_line_id("A")
    assert found.record.answered_at == clock.now() - timedelta(seconds=8)
    assert found.record.started_at <= found.record.answered_at and found.record.times_reconstructed


def test_a_caller_the_softphone_turned_away_gets_a_busy_row_and_leaves_the_focus_alone(make_coach):
    coach = make_coach()
    a = answered_call(coach, "A", "13800000001")
    busy = coach.handle(CallEvent(EventKind.BUSY, "X", "13800000009", EndedBy.UNKNOWN, "486 Max Calls"))
    assert busy.phase is Phase.DONE and busy.record.disposition == "busy"
    assert (busy.record.ended_by, busy.record.close_reason) == ("system", "486 Max Calls")
    coach.handle(event(EventKind.RINGING, "X", "13800000009"))      # a late ring does not reopen it
    assert coach.current is a and busy.phase is Phase.DONE


def test_events_read_late_are_dated_by_the_lines_time(make_coach, clock):
    """The card was frozen (suspended, stopped) while the line went on: the bridge's `at` dates them."""
    coach = make_coach()
    start = clock.now()
    clock.advance(20)                                                 # frozen while the line went on
    coach.handle(CallEvent(EventKind.RINGING, "A", "13800000001", at=start))
    coach.handle(CallEvent(EventKind.ANSWERED, "A", at=start + timedelta(seconds=3)))
    a = coach.handle(CallEvent(EventKind.ENDED, "A", ended_by=EndedBy.CUSTOMER, at=start + timedelta(seconds=8)))
    assert (a.record.answered_at - start, a.record.ended_at - start) == (timedelta(seconds=3), timedelta(seconds=8))
    assert not a.record.times_reconstructed                           # the line's own times, not estimates


def test_a_line_time_the_card_cannot_believe_is_not_taken(make_coach, clock):
    coach = make_coach()
    now = clock.now()
    ahead = coach.handle(CallEvent(EventKind.RINGING, "A", "13800000001", at=now + timedelta(minutes=5)))
    assert ahead.record.started_at == now                             # a bridge clock ahead: never in the future
    old = coach.handle(CallEvent(EventKind.RINGING, "B", "13800000002", at=now - timedelta(days=3)))
    assert old.record.started_at == now                               # a wrong clock, not a late read
    coach.handle(CallEvent(EventKind.ENDED, "B", at=now - timedelta(seconds=30)))
    assert old.record.ended_at == old.record.started_at              # never before the call began


def test_a_ringing_call_found_at_reconnect_takes_its_start_from_the_line(make_coach, clock):
    coach = make_coach()
    coach.reconcile([LineCall("R", "13800000001", answered=False, started_for=6.5),
                     LineCall("T", "13800000002", answered=True, connected_for=8.0, started_for=12.0)])
    ringing, talking = coach.by_line_id("R").record, coach.by_line_id("T").record
    assert ringing.started_at == clock.now() - timedelta(seconds=6.5) and ringing.times_reconstructed
    assert talking.started_at == clock.now() - timedelta(seconds=12)
    assert talking.answered_at == clock.now() - timedelta(seconds=8) and talking.times_reconstructed
