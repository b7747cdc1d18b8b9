from datetime import timedelta

from hangup_coach.app.resources import load_policy, load_scripts
from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.core.classify import CallerHistory, CallerProfile, PastCall, classify
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.phone import normalise

NOW = FakeClock().now()
POLICY = load_policy()
NUMBER = normalise("13912345678")


def days_ago(n, cls=CallerClass.REGULAR, sub=SubReason.NONE):
    return PastCall(NOW - timedelta(days=n), cls, sub)


def test_withheld_is_unknown():
    assert classify(normalise("anonymous"), CallerHistory(), POLICY, NOW).caller_class is CallerClass.UNKNOWN


def test_first_call_is_regular():
    found = classify(NUMBER, CallerHistory(), POLICY, NOW)
    assert (found.caller_class, found.reason.key) == (CallerClass.REGULAR, "regular_first")


def test_blocklisted_number_is_no_value():
    found = classify(NUMBER, CallerHistory(blocked_reason=SubReason.ABUSE), POLICY, NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NO_VALUE, SubReason.ABUSE)


def test_recent_no_value_calls_make_it_no_value_with_the_commonest_reason():
    past = (days_ago(1, CallerClass.NO_VALUE, SubReason.ABUSE), days_ago(3, CallerClass.NO_VALUE, SubReason.HARASSMENT),
            days_ago(5, CallerClass.NO_VALUE, SubReason.HARASSMENT))
    found = classify(NUMBER, CallerHistory(past), POLICY, NOW)
    assert (found.caller_class, found.sub_reason) == (CallerClass.NO_VALUE, SubReason.HARASSMENT)
    assert found.reason.params["count"] == 3


def test_old_calls_outside_the_history_window_do_not_count():
    past = (days_ago(POLICY.history_days + 1, CallerClass.NO_VALUE, SubReason.ABUSE),)
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
    past = (days_ago(6, CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH),)
    found = classify(NUMBER, CallerHistory(past), POLICY, NOW)
    assert (found.caller_class, found.sub_reason, found.reason.key) == (
        CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH, "previous_non_regular")


def test_known_regular_caller_has_a_count_in_the_reason():
    found = classify(NUMBER, CallerHistory((days_ago(1), days_ago(9))), POLICY, NOW)
    assert found.caller_class is CallerClass.REGULAR
    assert load_scripts("en").render_reason(found.reason) == "2 call(s) in the last 30 days, nothing flagged"
