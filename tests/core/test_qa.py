"""QA core: forms as data, the stratified seeded sample, the meeting sheet, the action states."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from hangup_coach.core.qa_form import FormError, parse_form
from hangup_coach.core.qa_sample import OUTCOMES, Filters, allocate, draw, outcome_of
from hangup_coach.core.qa_sheet import (ActionError, Misfit, Review, check_transition, follow_up, roll_up)
from hangup_coach.core.stats import Tally

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "qa" / "standard.toml"

MINIMAL = """
name = "mini"
version = 1
title = { zh_CN = "小表", en = "Mini" }
[[sections]]
key = "s"
zh_CN = "节"
en = "Section"
[[fields]]
key = "verdict"
section = "s"
type = "choice"
role = "verdict"
zh_CN = "结论"
en = "Verdict"
options = [{ key = "ok", zh_CN = "好", en = "OK" }, { key = "bad", zh_CN = "差", en = "Bad" }]
"""


def test_the_shipped_form_covers_before_after_beside_and_the_verdict():
    form = parse_form(SHIPPED.read_text(encoding="utf-8"), "standard.toml")
    assert [s.key for s in form.sections] == ["before", "after", "beside", "verdict"]
    assert {f.key for f in form.fields} >= {"call_necessary", "self_service", "problem_solved", "call_again",
                                            "root_causes", "verdict"}
    assert [o.key for o in form.by_role("root_causes").options][:5] == [
        "system", "business_rules", "process", "training", "agent_skill"]
    assert [o.key for o in form.by_role("verdict").options] == ["as_policy", "too_early", "too_late", "not_applicable"]
    # free text only where the form says so
    assert [f.key for f in form.fields if f.type == "text"] == ["comment"]


def test_an_unknown_field_type_is_refused_with_its_name():
    text = MINIMAL.replace('type = "choice"', 'type = "stars"')
    with pytest.raises(FormError, match=r"field 'verdict': unknown field type 'stars'"):
        parse_form(text, "mine.toml")


def test_a_choice_without_presets_is_refused_with_its_name():
    text = MINIMAL.split("options =")[0]
    with pytest.raises(FormError, match=r"mine.toml: field 'verdict': .*missing preset"):
        parse_form(text, "mine.toml")


def test_an_option_without_both_labels_is_refused():
    text = MINIMAL.replace('{ key = "bad", zh_CN = "差", en = "Bad" }', '{ key = "bad", en = "Bad" }')
    with pytest.raises(FormError, match=r"field 'verdict' option 'bad' needs a label in zh_CN and en"):
        parse_form(text)


def test_answers_are_checked_against_the_form():
    form = parse_form(SHIPPED.read_text(encoding="utf-8"))
    good = {"call_necessary": "yes", "self_service": "no", "problem_solved": "fully", "call_again": "unlikely",
            "root_causes": ["training", "system"], "verdict": "too_early"}
    assert form.check_answers(good)["root_causes"] == ["system", "training"]   # the form's order
    with pytest.raises(FormError, match="'verdict' needs an answer"):
        form.check_answers({k: v for k, v in good.items() if k != "verdict"})
    with pytest.raises(FormError, match="'call_again': 'never' is not one of its options"):
        form.check_answers(dict(good, call_again="never"))
    with pytest.raises(FormError, match="unknown field"):
        form.check_answers(dict(good, mood="fine"))
    assert form.missing({"verdict": "as_policy"}) == ["call_necessary", "self_service", "problem_solved",
                                                      "call_again", "root_causes"]


def test_the_fingerprint_changes_with_what_the_form_asks():
    a = parse_form(MINIMAL)
    assert parse_form(MINIMAL + "\n# a comment changes nothing\n").fingerprint == a.fingerprint
    assert parse_form(MINIMAL.replace('en = "Bad"', 'en = "Poor"')).fingerprint != a.fingerprint


def call(n: int, outcome: str, agent: str = "a1", started: str = "2026-11-02T09:00:00+00:00") -> dict:
    base = {"id": f"c{n:04d}", "agent_id": agent, "started_at": started, "ended_at": "2026-11-02T09:05:00+00:00",
            "caller_class": "regular", "sub_reason": "", "warnings": 0, "explanations": 0, "ended_by": "agent",
            "agent_ended_early": 0, "customer_hung_up_in_grace": 0, "hangup_prompted_at": None}
    changes = {
        "agent_before_allowed": {"agent_ended_early": 1},
        "agent_after_prompt": {"hangup_prompted_at": "2026-11-02T09:04:00+00:00"},
        "customer_in_wait": {"ended_by": "customer", "customer_hung_up_in_grace": 1},
        "no_value_after_warning": {"caller_class": "no_value", "sub_reason": "abuse", "warnings": 1},
        "non_regular_after_explanations": {"caller_class": "non_regular", "sub_reason": "closed_case",
                                           "explanations": 3},
        "none": {"ended_by": "customer"},
    }[outcome]
    return {**base, **changes}


def test_each_outcome_is_recognised():
    for outcome in OUTCOMES:
        assert outcome_of(call(1, outcome)) == outcome
    assert outcome_of(call(1, "none")) is None


def population() -> list[dict]:
    sizes = {"agent_before_allowed": 40, "agent_after_prompt": 400, "customer_in_wait": 100,
             "no_value_after_warning": 8, "non_regular_after_explanations": 2, "none": 300}
    calls, n = [], 0
    for outcome, size in sizes.items():
        for _ in range(size):
            n += 1
            calls.append(call(n, outcome, agent=f"a{n % 3}"))
    return calls


def test_the_sample_is_reproducible_from_the_seed_whatever_the_order():
    calls = population()
    first = draw(calls, 50, seed=7)
    assert draw(list(reversed(calls)), 50, seed=7) == first
    assert draw(calls, 50, seed=8) != first
    assert len(first) == 50 and len({c for c, _ in first}) == 50


def test_the_sample_is_stratified_by_outcome():
    sample = draw(population(), 50, seed=3)
    counts = Counter(outcome for _, outcome in sample)
    # proportional to 40:400:100:8:2 of 550 (within one call), every outcome heard at least once
    sizes = {"agent_before_allowed": 40, "agent_after_prompt": 400, "customer_in_wait": 100,
             "no_value_after_warning": 8, "non_regular_after_explanations": 2}
    for outcome, size in sizes.items():
        assert counts[outcome] >= 1
        assert abs(counts[outcome] - 50 * size / 550) <= 1, (outcome, counts)
    assert sum(counts.values()) == 50
    # a size larger than the population takes every call
    assert len(draw(population(), 10_000, seed=3)) == 550
    by_id = {c["id"]: c for c in population()}
    assert all(outcome_of(by_id[cid]) == outcome for cid, outcome in sample)


@given(st.dictionaries(st.sampled_from(OUTCOMES), st.integers(0, 60)), st.integers(1, 120))
def test_allocation_never_exceeds_a_stratum_and_fills_the_size(sizes, total):
    share = allocate(sizes, total)
    assert all(0 <= share[k] <= sizes[k] for k in sizes)
    assert sum(share.values()) == min(total, sum(sizes.values()))


def test_filters_pick_calls_by_agent_period_class_and_outcome():
    calls = population()
    f = Filters(agents=("a1",), outcomes=("customer_in_wait",))
    picked = [c for c in calls if f.matches(c)]
    assert picked and all(c["agent_id"] == "a1" and outcome_of(c) == "customer_in_wait" for c in picked)
    assert not Filters(since="2026-11-03").matches(calls[0])
    assert Filters.from_dict(f.to_dict()) == f
    with pytest.raises(ValueError, match="unknown outcome"):
        Filters(outcomes=("hung_up_angrily",))


def test_the_meeting_sheet_counts_equal_the_reviews():
    form = parse_form(SHIPPED.read_text(encoding="utf-8"))
    reviews = [
        Review("c1", "a1", {"root_causes": ["system", "training"], "verdict": "too_early", "techniques": []}),
        Review("c2", "a1", {"root_causes": ["training"], "verdict": "as_policy", "techniques": ["empathy"]}),
        Review("c3", "a2", {"root_causes": ["process"], "verdict": "too_early",
                            "techniques": ["empathy", "firm_boundary"]}),
        Review("c4", "a2", {"root_causes": ["none"], "verdict": "not_applicable"}),
    ]
    misfits = [Misfit("c9", "a1", "customer_distressed"), Misfit("c8", "a2", "customer_distressed"),
               Misfit("c7", "a2", "other")]
    sheet = roll_up(form, reviews, misfits)
    assert sheet.reviewed == 4
    assert sheet.root_causes == {"system": 1, "business_rules": 0, "process": 1, "training": 2, "agent_skill": 0,
                                 "none": 1}
    assert sheet.techniques["empathy"] == ["c2", "c3"] and sheet.techniques["firm_boundary"] == ["c3"]
    assert sheet.verdicts == {"a1": {"as_policy": 1, "too_early": 1, "too_late": 0, "not_applicable": 0},
                              "a2": {"as_policy": 0, "too_early": 1, "too_late": 0, "not_applicable": 1}}
    assert sheet.misfits == {"customer_distressed": 2, "other": 1}
    assert sheet.misfit_agents == {"a1": 1, "a2": 2}
    assert sheet.misfit_examples["customer_distressed"] == ["c8", "c9"]


def test_actions_go_through_their_states():
    path = ["open", "in_progress", "done", "verified"]
    for current, new in zip(path, path[1:]):
        check_transition(current, new)
    check_transition("done", "in_progress")   # the figure did not move: back to work
    for current, new in (("open", "done"), ("verified", "open"), ("dropped", "in_progress")):
        with pytest.raises(ActionError, match=f"{current!r} cannot become {new!r}"):
            check_transition(current, new)


def test_an_actions_figure_is_shown_before_and_after():
    before = Tally(answered=100, agent_early=12, agent_ended=20, customer_ended=80)
    after = Tally(answered=80, agent_early=4, agent_ended=30, customer_ended=50)
    early = follow_up("early_rate", before, after)
    assert (early.before, early.after) == (0.12, 0.05) and early.moved_as_hoped is True
    share = follow_up("agent_share", before, after)
    assert share.before == 0.2 and share.after == 0.375 and share.moved_as_hoped is True
    assert follow_up("early_rate", before, Tally()).moved_as_hoped is None
