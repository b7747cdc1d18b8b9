"""The pure maths of the review figures (core/stats.py)."""

from datetime import date

import pytest

from hangup_coach.core.policy import Policy, PolicyError
from hangup_coach.core.stats import (
    DEFAULT_SCENARIOS, Sample, Scenario, Tally, by_day, compare_means, compare_rates, histogram,
    parse_scenario, ratio,
)


def test_tallies_add_up_field_by_field_and_shares_need_a_denominator():
    a = Tally(calls=2, agent_ended=1, customer_ended=1, handled=2, handle_seconds=100.0)
    b = Tally(calls=1, customer_ended=1, handled=1, handle_seconds=50.0, after_allowed_seconds=90.0)
    s = a + b
    assert s.calls == 3 and s.agent_share == pytest.approx(1 / 3) and s.average_handle_seconds == pytest.approx(50)
    assert s.after_allowed_minutes == pytest.approx(1.5)
    assert Tally().agent_share is None and ratio(1, 0) is None


def test_by_day_fills_every_day_and_an_inverted_range_is_empty():
    days = by_day({date(2026, 6, 2): Tally(calls=4)}, date(2026, 6, 1), date(2026, 6, 3))
    assert [(d.day, t.calls) for d, t in days] == [(1, 0), (2, 4), (3, 0)]
    assert by_day({}, date(2026, 6, 3), date(2026, 6, 1)) == []


def test_difference_of_means_with_an_interval():
    before = Sample(n=4, total=16.0, total_sq=66.0)      # 3, 4, 4, 5 → mean 4, var 2/3
    after = Sample(n=4, total=12.0, total_sq=38.0)       # 2, 3, 3, 4 → mean 3, var 2/3
    d = compare_means(before, after)
    assert d.change == pytest.approx(-1.0)
    se = (2 / 3 / 4 + 2 / 3 / 4) ** 0.5
    assert d.low == pytest.approx(-1 - 1.959964 * se) and d.high == pytest.approx(-1 + 1.959964 * se)
    assert d.significant is False          # the interval holds 0: four answers each prove nothing
    assert compare_means(Sample(400, 1600.0, 6600.0), Sample(400, 1200.0, 3800.0)).significant is True
    assert compare_means(Sample(), after).change is None
    one = compare_means(Sample(1, 5.0, 25.0), after)
    assert one.change == pytest.approx(-2) and one.low is None and one.significant is None


def test_difference_of_rates():
    d = compare_rates(5, 1000, 10, 1000)
    assert d.before == 0.005 and d.after == 0.01 and d.change == pytest.approx(0.005)
    assert d.low < d.change < d.high
    assert compare_rates(0, 0, 1, 10).change is None
    assert compare_rates(0, 10, 0, 10).low is None     # no spread at all: no interval


def test_scenarios_change_one_threshold_and_parse_from_the_command_line():
    assert parse_scenario("explanations=2") == Scenario(explanations=2)
    assert parse_scenario("grace=3") == Scenario(grace_seconds=3.0)
    assert [s.key for s in DEFAULT_SCENARIOS] == ["explanations=2", "explanations=4", "grace=3"]
    for bad in ("explanations=0", "grace=-1", "grace=x", "speed=2", "explanations"):
        with pytest.raises(ValueError):
            parse_scenario(bad)
    with pytest.raises(ValueError):
        Scenario(explanations=2, grace_seconds=3.0)


def test_histogram_has_every_bucket_and_an_open_top():
    assert histogram({0: 2, 2: 1, 5: 1, 9: 3}, 4) == [("0", 2), ("1", 0), ("2", 1), ("3", 0), ("4+", 4)]
    assert histogram({}, 2) == [("0", 0), ("1", 0), ("2+", 0)]


def test_the_policy_review_section():
    policy = Policy.from_toml("[review]\npolicy_start = 2026-06-01\nbaseline_agent_share = 0.18\n")
    assert policy.policy_start == date(2026, 6, 1) and policy.baseline_agent_share == 0.18
    assert Policy.from_toml("").policy_start is None
    with pytest.raises(PolicyError, match="review.baseline_agent_share"):
        Policy.from_toml("[review]\nbaseline_agent_share = 18\n")
    with pytest.raises(PolicyError, match="review.policy_start"):
        Policy.from_toml("[review]\npolicy_start = \"June\"\n")
