"""CallSession.refresh_class: the team's evidence arrives after the card showed the local class."""

from datetime import timedelta

from hangup_coach.app.resources import load_policy, load_scripts
from hangup_coach.core.callers import CallerClass, EndedBy, SubReason
from hangup_coach.core.classify import CallerHistory, PastCall
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import Coach

E164 = "+8613800138000"


def coach_with(histories):
    clock = FakeClock()
    coach = Coach(load_policy(), clock, clock, history=lambda e164: histories.get(e164, CallerHistory()),
                  render_reason=load_scripts("en").render_reason, agent_id="1024")
    return coach, clock


def test_evidence_that_arrives_later_changes_class_and_reason_once():
    histories = {}
    coach, clock = coach_with(histories)
    session = coach.ring("13800138000", "l1")
    session.answered()
    assert session.caller_class is CallerClass.REGULAR and not session.refresh_class()   # nothing new
    abuse = PastCall(clock.now() - timedelta(days=1), CallerClass.NO_VALUE, SubReason.ABUSE,
                     class_source="agent")   # an agent's judgement, which counts as evidence
    this_call = PastCall(session.record.started_at, CallerClass.REGULAR)   # the store has it by now
    histories[E164] = CallerHistory((this_call, abuse))
    assert session.refresh_class()
    assert session.caller_class is CallerClass.NO_VALUE and session.sub_reason is SubReason.ABUSE
    assert session.record.class_reason_key == "recent_no_value" and "1" in session.record.class_reason
    assert session.prompt.kind == "warning"
    assert not session.refresh_class()                  # the same evidence again: no change


def test_an_agents_correction_and_an_ended_call_are_left_alone():
    histories = {}
    coach, clock = coach_with(histories)
    corrected = coach.ring("13800138000", "l1")
    corrected.answered()
    corrected.reclassify(CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH, "")
    histories[E164] = CallerHistory((PastCall(clock.now() - timedelta(days=1), CallerClass.NO_VALUE,
                                              SubReason.ABUSE, class_source="agent"),))
    assert not corrected.refresh_class() and corrected.caller_class is CallerClass.NON_REGULAR
    corrected.ended(EndedBy.AGENT)
    ended = coach.ring("13800138000", "l2")
    ended.ended(EndedBy.CUSTOMER)
    histories[E164] = CallerHistory()
    assert not ended.refresh_class()
