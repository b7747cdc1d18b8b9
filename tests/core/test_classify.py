from datetime import timedelta

from hangup_coach.app.resources import load_policy, load_scripts
from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.core.classify import BlockNote, CallerHistory, CallerProfile, PastCall, Reason, classify
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.phone import normalise

NOW = FakeClock().now()
POLICY = load_policy()
NUMBER = normalise("13912345678")


def days_ago(n, cls=CallerClass.REGULAR, sub=SubReason.NONE, **judged):
    return PastCall(NOW - timedelta(days=n), cls, sub, **judged)


def warned(n, sub=SubReason.HARASSMENT):
    """A call the coach classed no-value and on which the agent gave a warning."""
    return days_ago(n, CallerClass.NO_VALUE, sub, warnings=1)


def corrected(n, cls, sub=SubReason.NONE):
    return days_ago(n, cls, sub, class_source="agent")


def test_withheld_is_unknown():
    assert classify(normalise("anonymous"), CallerHistory(), POLICY, NOW).caller_class is CallerClass.UNKNOWN


def test_first_call_is_regular():
    found = classify(NUMBER, CallerHistory(), POLICY, NOW)
    assert (found.caller_class, found.reason.key) == (CallerClass.REGULAR, "regular_first")


def test_an_active_block_makes_it_no_value_and_says_until_when():
    until = NOW + timedelta(days=2)
    found = classify(NUMBER, CallerHistory(block=BlockNote("active", "abuse", until)), POLICY, NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NO_VALUE, SubReason.ABUSE)
    assert found.note == Reason("block_active", {"until": until})
    burst = classify(NUMBER, CallerHistory(block=BlockNote("active", "burst", None)), POLICY, NOW)
    assert burst.sub_reason is SubReason.HARASSMENT and burst.note == Reason("block_permanent")


def test_a_proposed_or_lifted_block_is_only_mentioned_never_the_class():
    for block in (BlockNote("proposed", "abuse", None), BlockNote("lifted", "", NOW - timedelta(days=1))):
        found = classify(NUMBER, CallerHistory(block=block), POLICY, NOW)
        assert (found.caller_class, found.reason.key) == (CallerClass.REGULAR, "regular_first")
        assert found.note.key == {"proposed": "block_proposed", "lifted": "block_lifted"}[block.state]


def test_recent_no_value_calls_make_it_no_value_with_the_commonest_reason():
    past = (warned(1, SubReason.ABUSE), warned(3), days_ago(5, CallerClass.NO_VALUE, SubReason.HARASSMENT,
                                                                  disposition="warned_and_ended"))
    found = classify(NUMBER, CallerHistory(past), POLICY, NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NO_VALUE, SubReason.HARASSMENT)
    assert found.reason.params["count"] == 3


def test_old_calls_outside_the_history_window_do_not_count():
    past = (warned(POLICY.history_days + 1, SubReason.ABUSE),)
    assert classify(NUMBER, CallerHistory(past), POLICY, NOW).caller_class is CallerClass.REGULAR


def test_closed_complaint_that_keeps_calling_is_non_regular():
    profile = CallerProfile("1234", NOW - timedelta(days=21))
    assert classify(NUMBER, CallerHistory((), profile), POLICY, NOW).caller_class is CallerClass.REGULAR
    found = classify(NUMBER, CallerHistory((days_ago(2),), profile), POLICY, NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NON_REGULAR, SubReason.CLOSED_CASE)
    closed_on = profile.case_closed_at.astimezone()        # shown in the agent's time zone
    month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][closed_on.month - 1]
    assert load_scripts("en").render_reason(found.reason) == (
        f"2nd call in 7 days about complaint #1234, closed with final result on {month} {closed_on.day}")
    assert load_scripts("zh_CN").render_reason(found.reason) == (
        f"7天内第2次来电，投诉 #1234 已于{closed_on.month}月{closed_on.day}日办结并有最终结果")


def test_branch_only_request_is_non_regular():
    found = classify(NUMBER, CallerHistory((), CallerProfile(branch_only=True)), POLICY, NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH)


def test_a_previous_handlers_marking_carries_over():
    past = (days_ago(6, CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH, explanations=2),)
    found = classify(NUMBER, CallerHistory(past), POLICY, NOW)
    assert (found.caller_class, found.sub_reason, found.reason.key) == (
        CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH, "previous_non_regular")


def test_known_regular_caller_has_a_count_in_the_reason():
    found = classify(NUMBER, CallerHistory((days_ago(1), days_ago(9))), POLICY, NOW)
    assert found.caller_class is CallerClass.REGULAR
    assert load_scripts("en").render_reason(found.reason) == "2 call(s) in the last 30 days, nothing flagged"


# ----- evidence, not echoes --------------------------------------------------------------------------


def test_classes_the_coach_assigned_by_itself_are_no_evidence():
    """An automatic no-value class with no warning given is the coach's own guess: it must not come back."""
    past = (days_ago(1, CallerClass.NO_VALUE, SubReason.ABUSE), days_ago(2, CallerClass.NON_REGULAR, SubReason.CLOSED_CASE))
    found = classify(NUMBER, CallerHistory(past), POLICY, NOW)
    assert (found.caller_class, found.reason.key, found.reason.params["count"]) == (CallerClass.REGULAR, "regular_known", 2)


def test_explanations_on_a_non_regular_call_are_evidence_but_not_on_a_regular_one():
    assert classify(NUMBER, CallerHistory((days_ago(1, explanations=3),)), POLICY, NOW).caller_class is CallerClass.REGULAR
    past = (days_ago(1, CallerClass.NON_REGULAR, SubReason.CLOSED_CASE, disposition="explained"),)
    assert classify(NUMBER, CallerHistory(past), POLICY, NOW).caller_class is CallerClass.NON_REGULAR


def test_a_reclassification_to_regular_wins_over_earlier_no_value_judgements():
    past = (corrected(1, CallerClass.REGULAR), warned(2), warned(3), days_ago(4, CallerClass.NO_VALUE, SubReason.ABUSE))
    found = classify(NUMBER, CallerHistory(past), POLICY, NOW)
    assert (found.caller_class, found.reason.key) == (CallerClass.REGULAR, "agent_corrected")
    day = (NOW - timedelta(days=1)).astimezone()
    en, zh = load_scripts("en"), load_scripts("zh_CN")
    assert en.render_reason(found.reason) == f"Set to Regular by an agent on {en.date(day)}; that correction stands"
    assert zh.render_reason(found.reason) == f"坐席已于{zh.date(day)}改为常规客户，以该更正为准"


def test_the_latest_correction_wins_and_later_judgements_still_count():
    regular_then_no_value = (corrected(1, CallerClass.NO_VALUE, SubReason.ABUSE), corrected(5, CallerClass.REGULAR))
    found = classify(NUMBER, CallerHistory(regular_then_no_value), POLICY, NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NO_VALUE, SubReason.ABUSE)
    no_value_then_regular = (corrected(1, CallerClass.REGULAR), corrected(5, CallerClass.NO_VALUE, SubReason.ABUSE))
    assert classify(NUMBER, CallerHistory(no_value_then_regular), POLICY, NOW).caller_class is CallerClass.REGULAR
    warned_after_correction = (warned(1), corrected(5, CallerClass.REGULAR))
    assert classify(NUMBER, CallerHistory(warned_after_correction), POLICY, NOW).caller_class is CallerClass.NO_VALUE


def test_a_correction_wins_over_the_case_profile_but_not_over_the_blocklist():
    profile = CallerProfile("1234", NOW - timedelta(days=21))
    past = (corrected(1, CallerClass.REGULAR),)
    assert classify(NUMBER, CallerHistory(past, profile), POLICY, NOW).caller_class is CallerClass.REGULAR
    blocked = CallerHistory(past, profile, BlockNote("active", "abuse", None))
    assert classify(NUMBER, blocked, POLICY, NOW).caller_class is CallerClass.NO_VALUE
