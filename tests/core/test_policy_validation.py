"""Every bad policy value is refused at start-up with the key named (issue 10, item 4)."""

from datetime import date

import pytest

from hangup_coach.core.policy import Policy, PolicyError
from hangup_coach.core.scripts import ScriptBook, ScriptError
from hangup_coach.app.resources import resource_path


@pytest.mark.parametrize("text, message", [
    ("[hangup]\ngrace_seconds = nan", "hangup.grace_seconds must be from 0 to 30"),
    ("[hangup]\ngrace_seconds = inf", "hangup.grace_seconds must be from 0 to 30"),
    ("[hangup]\ngrace_seconds = -0.5", "hangup.grace_seconds"),
    ("[no_value]\nwarnings_before_cutoff = 1000", "no_value.warnings_before_cutoff must be from 0 to 20"),
    ("[no_value]\nwarnings_before_cutoff = -1", "no_value.warnings_before_cutoff"),
    ("[non_regular]\nexplanations_before_polite_end = 21", "non_regular.explanations_before_polite_end"),
    ("[classification]\nhistory_days = 1000000", "classification.history_days must be from 1 to 3650"),
    ("[classification]\nhistory_days = 0", "classification.history_days"),
    ("[classification]\nno_value_min_calls = 0", "classification.no_value_min_calls"),
    ("[classification]\nhistory_days = 10\nrepeat_window_days = 30", "must not be longer"),
    ('[numbers]\ndefault_region = "XX"', "numbers.default_region must be a two-letter region"),
    ('[numbers]\ndefault_region = "cn"', "numbers.default_region"),
    ("[numbers]\ndefault_region = 86", "numbers.default_region"),
    ('[wrapup]\ndispositions = ["ok", "ok"]', "lists a name twice"),
    ('[wrapup]\ndispositions = ["Resolved!"]', "wrapup.dispositions"),
    ("[hangup]\ngrace_secnds = 2.0", r"unknown key hangup.grace_secnds; did you mean hangup.grace_seconds\?"),
    ("[hangupp]\ngrace_seconds = 2.0", r"unknown section \[hangupp\]; did you mean \[hangup\]\?"),
    ("[zzz]\nx = 1", r"unknown section \[zzz\]; known: hangup"),
    ('[review]\npolicy_start = "next monday"', "review.policy_start must be a date"),
    ("[review]\nbaseline_agent_share = 18", "review.baseline_agent_share must be from 0 to 1"),
    ("[review]\nbaseline_agent_sahre = 0.18", "did you mean review.baseline_agent_share"),
])
def test_each_bad_value_is_refused_with_the_key(text, message):
    with pytest.raises(PolicyError, match=message):
        Policy.from_toml(text)


def test_a_bom_and_the_review_section_are_accepted():
    text = "\ufeff" + resource_path("policy.toml").read_text(encoding="utf-8")
    assert "[review]" in text   # the shipped file carries the review section
    policy = Policy.from_toml(text.replace("policy_start = 2026-06-01", 'policy_start = "2026-11-01"'))
    assert policy.grace_seconds == 2.0 and policy.region == "CN"
    assert policy.policy_start == date(2026, 11, 1) and policy.baseline_agent_share == 0.18   # quoted date too


def _script_text(reason_override: str) -> str:
    text = resource_path("scripts", "en.toml").read_text(encoding="utf-8")
    return text.replace('regular_known = "{count} call(s)', f'regular_known = "{reason_override}', 1)


@pytest.mark.parametrize("placeholder", ["{count:d}", "{count!r}", "{count:>5}"])
def test_a_placeholder_with_a_format_spec_is_refused(placeholder):
    with pytest.raises(ScriptError, match=r"reasons.regular_known: write the placeholder as \{count\}"):
        ScriptBook.from_toml(_script_text(placeholder), "en.toml")


def test_a_script_file_with_a_bom_is_read():
    book = ScriptBook.from_toml("\ufeff" + resource_path("scripts", "en.toml").read_text(encoding="utf-8"))
    assert book.language == "en"
