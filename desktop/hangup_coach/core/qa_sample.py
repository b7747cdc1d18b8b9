"""Which hang-ups a QA batch samples: outcomes, filters and a stratified, seeded draw.

The seed's second question before listening: what type of call is it? A batch says which
outcomes it samples; the draw is stratified by outcome (each outcome gets its share of the
sample, so a rare outcome is not drowned by a common one) and reproducible: the same calls and
seed give the same sample on any machine, whatever order the calls came in.

Pure: calls are dicts with the local `calls` columns (README, "Local database").
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# The hang-up outcomes a batch can sample, in the order they are shown.
OUTCOMES = (
    "agent_before_allowed",         # the agent ended before the policy allowed it
    "agent_after_prompt",           # regular call: the agent ended after the card offered the closing line
    "customer_in_wait",             # the customer left during the 2-second wait
    "no_value_after_warning",       # no-value call ended by the agent after a warning
    "non_regular_after_explanations",  # non-regular call ended by the agent after the explanations
)


def outcome_of(call: dict) -> str | None:
    """The call's hang-up outcome, or None for a call that is none of them (not a QA hang-up)."""
    agent = call.get("ended_by") == "agent"
    if agent and call.get("agent_ended_early"):
        return "agent_before_allowed"
    if call.get("customer_hung_up_in_grace"):
        return "customer_in_wait"
    if not agent or not call.get("ended_at"):
        return None
    caller_class = call.get("caller_class")
    if caller_class == "no_value" and (call.get("warnings") or 0) >= 1:
        return "no_value_after_warning"
    if caller_class == "non_regular" and (call.get("explanations") or 0) >= 1:
        return "non_regular_after_explanations"
    prompted = call.get("hangup_prompted_at")
    if caller_class == "regular" and prompted and call["ended_at"] >= prompted:
        return "agent_after_prompt"
    return None


@dataclass(frozen=True)
class Filters:
    """Which calls a batch draws from (empty = any). Times are UTC ISO text; `until` is exclusive."""

    since: str = ""
    until: str = ""
    agents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    sub_reasons: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    call_ids: tuple[str, ...] = ()     # a selection made elsewhere (the dashboard's calls behind a figure)

    def __post_init__(self) -> None:
        wrong = [o for o in self.outcomes if o not in OUTCOMES]
        if wrong:
            raise ValueError(f"unknown outcome(s) {', '.join(wrong)} (use {', '.join(OUTCOMES)})")

    def matches(self, call: dict, team: str = "") -> bool:
        started = call.get("started_at") or ""
        return ((not self.since or started >= self.since) and (not self.until or started < self.until)
                and (not self.agents or call.get("agent_id") in self.agents)
                and (not self.teams or team in self.teams)
                and (not self.classes or call.get("caller_class") in self.classes)
                and (not self.sub_reasons or call.get("sub_reason") in self.sub_reasons)
                and (not self.call_ids or call.get("id") in self.call_ids)
                and outcome_of(call) in (self.outcomes or OUTCOMES))

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if v}

    @classmethod
    def from_dict(cls, data: dict) -> "Filters":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown filter(s) {', '.join(sorted(unknown))}")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()})


def allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Split `total` over strata in proportion to their sizes (largest remainder), never more than a
    stratum has; every non-empty stratum gets at least one while the total allows."""
    available = {k: n for k, n in sizes.items() if n > 0}
    whole = sum(available.values())
    total = min(total, whole)
    share = {k: 0 for k in sizes}
    if total <= 0:
        return share
    quota = {k: total * n / whole for k, n in available.items()}
    share.update({k: min(n, max(1, int(quota[k]))) for k, n in available.items()})
    while sum(share.values()) > total:   # the at-least-one rule overshot: take from the most over quota
        k = max(available, key=lambda k: (share[k] > 1, share[k] > 0, share[k] - quota[k], k))
        share[k] -= 1
    while sum(share.values()) < total:   # the largest remainders with room left take one each
        k = max((k for k in available if share[k] < available[k]), key=lambda k: (quota[k] - share[k], k))
        share[k] += 1
    return share


def draw(calls: list[dict], size: int, seed: int | str) -> list[tuple[str, str]]:
    """A stratified random sample of `calls` (already filtered): [(call id, outcome)], in a stable order
    (outcome, then the draw's order). The same calls and seed give the same sample."""
    if size < 1:
        raise ValueError("the sample size must be at least 1")
    strata: dict[str, list[str]] = {o: [] for o in OUTCOMES}
    for call in calls:
        outcome = outcome_of(call)
        if outcome is not None:
            strata[outcome].append(call["id"])
    share = allocate({o: len(ids) for o, ids in strata.items()}, size)
    sample = []
    for outcome in OUTCOMES:
        ids = sorted(strata[outcome])
        rng = random.Random(f"{seed}/{outcome}")   # str seeds hash with SHA-512: the same everywhere
        sample.extend((call_id, outcome) for call_id in rng.sample(ids, share[outcome]))
    return sample
