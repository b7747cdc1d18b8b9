import pytest

from hangup_coach.app.resources import load_policy
from hangup_coach.core.policy import Policy, PolicyError


def test_shipped_policy_has_the_articles_numbers():
    policy = load_policy()
    assert (policy.grace_seconds, policy.warnings_before_cutoff, policy.explanations_before_polite_end) == (2.0, 1, 3)
    assert "missed" in policy.dispositions


def test_an_integer_grace_is_read_as_seconds():
    assert Policy.from_toml("[hangup]\ngrace_seconds = 3\n").grace_seconds == 3.0


@pytest.mark.parametrize("text, key", [
    ("[hangup\ngrace_seconds = 2", "not valid TOML"),
    ('[hangup]\ngrace_seconds = "2"', "hangup.grace_seconds"),
    ("[hangup]\ngrace_seconds = -1", "hangup.grace_seconds"),
    ("[hangup]\ngrace_seconds = 600", "hangup.grace_seconds"),
    ("[no_value]\nwarnings_before_cutoff = 1.5", "no_value.warnings_before_cutoff"),
    ("[non_regular]\nexplanations_before_polite_end = true", "non_regular.explanations_before_polite_end"),
    ("[non_regular]\nexplanations_before_polite_end = 0", "non_regular.explanations_before_polite_end"),
    ("classification = 3", "[classification]"),
    ("[wrapup]\ndispositions = []", "wrapup.dispositions"),
    ("[wrapup]\ndispositions = ['ok', 3]", "wrapup.dispositions"),
])
def test_malformed_policy_names_the_key(text, key):
    with pytest.raises(PolicyError, match=key.replace("[", r"\[").replace("]", r"\]")):
        Policy.from_toml(text)
