"""Every review figure on hand-built calls with known answers (store/reports.py + core/stats.py)."""

import dataclasses
from datetime import date

import pytest

from hangup_coach.app.resources import load_policy
from hangup_coach.core.stats import Scenario, Tally, histogram
from hangup_coach.store.reports import ReportQuery, agent_ids, build_report

from .conftest import add_call

def approx(x):
    """julianday() arithmetic is exact to about 10 µs."""
    return pytest.approx(x, abs=1e-3)


POLICY = dataclasses.replace(load_policy(), policy_start=date(2026, 6, 10), baseline_agent_share=0.18,
                             explanations_before_polite_end=3, grace_seconds=2.0)


def report(db, first="2026-06-01", last="2026-06-30", scenarios=(), **kw):
    query = ReportQuery(date.fromisoformat(first), date.fromisoformat(last), utc_offset_minutes=480, **kw)
    return build_report(db, query, POLICY, scenarios)


def test_an_empty_range_has_every_day_and_no_shares(db):
    add_call(db, "2026-05-15 10:00:00", ended_by="agent")   # outside the range
    r = report(db, "2026-06-01", "2026-06-07", scenarios=(Scenario(explanations=2),))
    assert [d.isoformat() for d, _ in r.days] == [f"2026-06-0{i}" for i in range(1, 8)]
    assert all(t == Tally() for _, t in r.days)
    assert r.total == Tally() and r.total.agent_share is None and r.total.average_handle_seconds is None
    assert r.agents == {} and r.classes == {} and r.explanations == {} and r.warnings == {}
    assert r.satisfaction().change is None and r.complaint_rate().change is None
    assert r.what_if[0].calls_touched == 0 and r.what_if[0].released_change_minutes == 0


def test_a_day_with_no_calls_is_an_empty_day_between_two_others(db):
    add_call(db, "2026-06-01 10:00:00", ended_by="agent")
    add_call(db, "2026-06-03 10:00:00", ended_by="customer")
    add_call(db, "2026-06-03 11:00:00", ended_by="customer")
    days = dict(report(db, "2026-06-01", "2026-06-03").days)
    assert days[date(2026, 6, 1)].agent_share == 1.0
    assert days[date(2026, 6, 2)].calls == 0 and days[date(2026, 6, 2)].agent_share is None
    assert days[date(2026, 6, 3)].calls == 2 and days[date(2026, 6, 3)].agent_share == 0.0


def test_a_call_over_midnight_belongs_to_the_local_day_it_started_on(db):
    add_call(db, "2026-06-01 23:58:00", talk=600, ring=0)        # ends 00:08 on the 2nd
    add_call(db, "2026-06-02 07:00:00", talk=60, ring=0)         # 23:00 UTC on the 1st: local day 2nd
    days = dict(report(db, "2026-06-01", "2026-06-02").days)
    assert days[date(2026, 6, 1)].calls == 1 and days[date(2026, 6, 1)].handle_seconds == approx(600)
    assert days[date(2026, 6, 2)].calls == 1 and days[date(2026, 6, 2)].handle_seconds == approx(60)


def test_unknown_and_system_enders_stay_out_of_the_share_and_open_calls_out_of_handling_time(db):
    add_call(db, "2026-06-01 10:00:00", ended_by="agent", talk=100)
    add_call(db, "2026-06-01 10:10:00", ended_by="customer", talk=200)
    add_call(db, "2026-06-01 10:20:00", ended_by="customer", talk=300)
    add_call(db, "2026-06-01 10:30:00", ended_by="unknown", talk=400)
    add_call(db, "2026-06-01 10:40:00", ended_by="system", talk=500)
    add_call(db, "2026-06-01 10:50:00", open_call=True)
    add_call(db, "2026-06-01 11:00:00", talk=None, ended_by="customer")   # missed: not answered
    t = report(db).total
    assert (t.calls, t.answered, t.agent_ended, t.customer_ended, t.other_ended) == (7, 6, 1, 3, 2)
    assert t.agent_share == approx(1 / 4)
    assert t.handled == 5 and t.average_handle_seconds == approx(300)


def test_per_agent_and_per_class_figures_group_a_team_file_by_agent_id(db):
    add_call(db, "2026-06-01 10:00:00", agent="1001", ended_by="agent", talk=120)
    add_call(db, "2026-06-01 10:00:00", agent="1001", ended_by="customer", talk=60, cls="no_value", warnings=1)
    add_call(db, "2026-06-02 10:00:00", agent="1002", ended_by="customer", talk=240, cls="non_regular", explanations=2)
    add_call(db, "2026-06-02 11:00:00", agent="1002", ended_by="customer", talk=180)
    r = report(db)
    assert {a: (t.calls, t.agent_share) for a, t in r.agents.items()} == {"1001": (2, 0.5), "1002": (2, 0.0)}
    assert {c: (t.calls, t.average_handle_seconds) for c, t in r.classes.items()} == {
        "no_value": (1, approx(60)), "non_regular": (1, approx(240)),
        "regular": (2, approx(150))}
    assert agent_ids(db) == ["1001", "1002"]
    only = report(db, agents=("1002",), classes=("regular",))
    assert only.total.calls == 1 and set(only.agents) == {"1002"} and set(only.classes) == {"regular"}


def test_time_after_allowed_counts_only_calls_that_went_on_after_the_policy_allowed_the_end(db):
    add_call(db, "2026-06-01 10:00:00", talk=90, allowed=60, ended_by="customer")    # 30 s after
    add_call(db, "2026-06-01 10:10:00", talk=100, allowed=10, ended_by="agent")      # 90 s after
    add_call(db, "2026-06-01 10:20:00", talk=50, ended_by="customer")                # never allowed
    t = report(db).total
    assert t.allowed == 2 and t.after_allowed_seconds == approx(120) and t.after_allowed_minutes == approx(2)


def test_grace_window_outcomes_of_regular_calls_per_agent(db):
    add_call(db, "2026-06-01 10:00:00", agent="1001", talk=61, closure=60, in_grace=True)           # left in 2 s
    add_call(db, "2026-06-01 10:05:00", agent="1001", talk=64, closure=60, allowed=62, ended_by="agent")  # after prompt
    add_call(db, "2026-06-01 10:10:00", agent="1002", talk=30, ended_by="agent", early=True)        # before closure
    add_call(db, "2026-06-01 10:15:00", agent="1002", talk=61, closure=60, ended_by="agent", early=True)  # inside the wait
    add_call(db, "2026-06-01 10:20:00", agent="1002", talk=30, cls="no_value", ended_by="agent", warnings=1,
             allowed=10)   # not a regular call: not in the grace figures
    by_agent = report(db).regular_by_agent
    one, two = by_agent["1001"], by_agent["1002"]
    assert (one.left_in_grace, one.agent_after_prompt, one.agent_before_closure, one.agent_in_wait) == (1, 1, 0, 0)
    assert (two.left_in_grace, two.agent_after_prompt, two.agent_before_closure, two.agent_in_wait) == (0, 0, 1, 1)
    assert two.agent_early == 2 and two.calls == 2


def test_explanations_and_warnings_distributions_and_no_value_times(db):
    for n in (1, 3, 3, 7):
        add_call(db, "2026-06-01 10:00:00", cls="non_regular", explanations=n)
    add_call(db, "2026-06-01 11:00:00", cls="non_regular", explanations=9, talk=None)   # missed: not counted
    add_call(db, "2026-06-01 12:00:00", cls="no_value", warnings=1, talk=40, allowed=10, ended_by="agent")
    add_call(db, "2026-06-01 12:10:00", cls="no_value", warnings=0, talk=20)
    r = report(db)
    assert r.explanations == {1: 1, 3: 2, 7: 1}
    assert histogram(r.explanations, 6) == [("0", 0), ("1", 1), ("2", 0), ("3", 2), ("4", 0), ("5", 0), ("6+", 1)]
    assert r.warnings == {0: 1, 1: 1}
    assert r.no_value_seconds_to_end == approx(30) and r.no_value_seconds_after_allowed == approx(30)
    assert report(db, agents=("someone else",)).explanations == {}
    assert report(db, classes=("regular",)).explanations == {}


def test_before_and_after_the_policy_start_against_the_baseline(db):
    for i in range(2):
        add_call(db, f"2026-06-0{i + 1} 10:00:00", ended_by="agent")
    for i in range(8):
        add_call(db, f"2026-06-0{i + 1} 11:00:00", ended_by="customer")
    for i in range(6):
        add_call(db, f"2026-06-{i + 10} 10:00:00", ended_by="agent")
    for i in range(4):
        add_call(db, f"2026-06-{i + 10} 11:00:00", ended_by="customer")
    r = report(db)
    assert r.before.agent_share == approx(0.2) and r.after.agent_share == approx(0.6)
    assert r.policy_start == date(2026, 6, 10) and r.baseline_agent_share == 0.18
    assert r.total.calls == 20


def test_what_if_other_thresholds_on_known_calls(db):
    # non-regular, policy N = 3: the 3rd explanation allowed the end
    add_call(db, "2026-06-01 10:00:00", cls="non_regular", explanations=3, allowed=90, talk=150)   # step 30 s
    add_call(db, "2026-06-01 10:10:00", cls="non_regular", explanations=4, allowed=120, talk=200)  # step 40 s
    add_call(db, "2026-06-01 10:20:00", cls="non_regular", explanations=2, talk=90)                # step 90/3
    # regular, grace 2 s
    add_call(db, "2026-06-01 11:00:00", closure=100, allowed=102, talk=110, ended_by="agent")      # 10 s after closure
    add_call(db, "2026-06-01 11:10:00", closure=100, talk=101, in_grace=True)                      # left in the wait
    add_call(db, "2026-06-01 11:20:00", closure=100, allowed=102, talk=102.5)                      # 2.5 s after closure
    two, four, grace3 = report(db, scenarios=(Scenario(explanations=2), Scenario(explanations=4),
                                              Scenario(grace_seconds=3.0))).what_if
    assert two.current_seconds == approx(60 + 80)
    assert two.after_allowed_seconds == approx(90 + 120 + 30) and two.calls_touched == 3
    assert two.released_change_minutes == approx(100 / 60)
    assert four.after_allowed_seconds == approx(40) and four.calls_touched == 2
    assert grace3.current_seconds == approx(8 + 0.5)
    assert grace3.after_allowed_seconds == approx(7) and grace3.calls_touched == 2
    same = report(db, scenarios=(Scenario(explanations=3),)).what_if[0]
    assert same.calls_touched == 0 and same.released_change_minutes == approx(0)


def test_the_kept_tallies_follow_every_change_to_the_calls(db):
    first = add_call(db, "2026-06-01 10:00:00", ended_by="customer")
    assert report(db).total.agent_share == 0.0
    db.execute("UPDATE calls SET ended_by = 'agent' WHERE id = ?", [first])           # a correction
    add_call(db, "2026-06-01 23:30:00", ended_by="agent")                              # same local day, next UTC day? no: 15:30 UTC
    assert report(db).total.agent_share == 1.0 and report(db).total.calls == 2
    db.execute("DELETE FROM calls WHERE id = ?", [first])
    assert report(db).total.calls == 1
    # a call pulled in later for a day long cached (sync), and one moved to another day
    add_call(db, "2026-06-20 09:00:00", agent="2001", ended_by="customer")
    r = report(db)
    assert r.total.calls == 2 and set(r.agents) == {"1001", "2001"}


def test_different_utc_offsets_are_kept_apart(db):
    add_call(db, "2026-06-02 07:00:00")     # 23:00 UTC on the 1st
    utc = build_report(db, ReportQuery(date(2026, 6, 1), date(2026, 6, 2), utc_offset_minutes=0), POLICY)
    local = report(db, "2026-06-01", "2026-06-02")
    assert dict(utc.days)[date(2026, 6, 1)].calls == 1
    assert dict(local.days)[date(2026, 6, 1)].calls == 0 and dict(local.days)[date(2026, 6, 2)].calls == 1


def test_the_cards_own_writes_mark_their_day(db):
    from datetime import timedelta

    from hangup_coach.core.coach import CallRecord
    from hangup_coach.store.calls import CallStore

    from .conftest import at
    store = CallStore(db)
    report(db)   # everything cached
    start = at("2026-06-05 10:00:00")
    call = CallRecord(id="live", agent_id="1001", caller_number=None, caller_raw="", line_call_id=None,
                      started_at=start, answered_at=start, updated_at=start)
    store.save_call(call)                                   # ringing: an insert
    call.ended_at, call.ended_by = start + timedelta(seconds=30), "agent"
    store.save_call(call)                                   # ended: the upsert's update path
    t = dict(report(db).days)[date(2026, 6, 5)]
    assert t.calls == 1 and t.agent_ended == 1 and t.handle_seconds == approx(30)
