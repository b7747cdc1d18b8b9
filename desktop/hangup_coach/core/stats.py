"""The maths of the review figures: additive tallies, shares, before/after comparisons, what-if.

The store adds calls up in SQL into `Tally`s (per day, agent or caller class,
`store/reports.py`); everything here works on those, so a year of calls is a few hundred
small objects, never a million rows. Pure: no SQL, no Qt, no clock.

Words used in the figures:
- *agent share*: calls the agent ended / calls ended by the agent or the customer. Calls
  ended by the system or with an unknown ender are counted apart, never in the share.
- *handling time*: answered → ended, for answered calls that have ended. A call belongs to
  the (centre-local) day it started on, even when it ends after midnight.
- *time after allowed* ("time released" estimate): for every call the policy allowed to end
  (hangup_allowed_at), the time it went on after that moment, i.e. the agent time that would
  have been saved if the call had ended at the prompt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date, timedelta


@dataclass(frozen=True)
class Tally:
    """Counts and sums that add up across calls (all zero for no calls)."""

    calls: int = 0
    answered: int = 0
    agent_ended: int = 0
    customer_ended: int = 0
    other_ended: int = 0              # system, unknown, or ended with no ender recorded
    handled: int = 0                  # answered and ended: the calls handling time is over
    handle_seconds: float = 0.0
    allowed: int = 0                  # calls the policy allowed to end
    after_allowed_seconds: float = 0.0
    # regular calls: what happened around the 2-second wait
    left_in_grace: int = 0            # the customer hung up inside the wait
    agent_after_prompt: int = 0       # the agent ended the call after the card offered the line
    agent_before_closure: int = 0     # the agent ended before the customer confirmed closure
    agent_in_wait: int = 0            # closure confirmed, the agent ended inside the wait
    agent_early: int = 0              # any agent hang-up before the policy allowed (agent_ended_early)
    explanations: int = 0
    warnings: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Tally)))

    @property
    def agent_share(self) -> float | None:
        return ratio(self.agent_ended, self.agent_ended + self.customer_ended)

    @property
    def average_handle_seconds(self) -> float | None:
        return ratio(self.handle_seconds, self.handled)

    @property
    def after_allowed_minutes(self) -> float:
        return self.after_allowed_seconds / 60


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by (an empty range is not 0 %)."""
    return part / whole if whole else None


def by_day(days: dict[date, Tally], first: date, last: date) -> list[tuple[date, Tally]]:
    """One entry per day from `first` to `last` inclusive; a day with no calls is an empty Tally."""
    span = (last - first).days + 1
    return [(d, days.get(d, Tally())) for d in (first + timedelta(n) for n in range(max(span, 0)))]


# ----- before / after comparisons ------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """n values summarised as their sum and sum of squares (what SQL can add up)."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    @property
    def mean(self) -> float | None:
        return ratio(self.total, self.n)

    @property
    def variance(self) -> float | None:
        """Sample variance (n − 1), None below two values."""
        if self.n < 2:
            return None
        return max(0.0, (self.total_sq - self.total * self.total / self.n) / (self.n - 1))


@dataclass(frozen=True)
class Difference:
    """after − before, with a 95 % interval (normal approximation) when both sides allow one."""

    before: float | None
    after: float | None
    change: float | None
    low: float | None
    high: float | None

    @property
    def significant(self) -> bool | None:
        """True if the 95 % interval excludes 0; None when there is no interval."""
        if self.low is None or self.high is None:
            return None
        return self.low > 0 or self.high < 0


Z95 = 1.959964


def compare_means(before: Sample, after: Sample) -> Difference:
    """Welch's difference of means with a normal 95 % interval."""
    b, a = before.mean, after.mean
    if a is None or b is None:
        return Difference(b, a, None, None, None)
    change = a - b
    if before.variance is None or after.variance is None:
        return Difference(b, a, change, None, None)
    se = math.sqrt(before.variance / before.n + after.variance / after.n)
    return Difference(b, a, change, change - Z95 * se, change + Z95 * se)


def compare_rates(before_events: int, before_n: int, after_events: int, after_n: int) -> Difference:
    """Difference of two proportions (e.g. complaints per answered call) with a normal 95 % interval."""
    b, a = ratio(before_events, before_n), ratio(after_events, after_n)
    if a is None or b is None:
        return Difference(b, a, None, None, None)
    change = a - b
    se = math.sqrt(b * (1 - b) / before_n + a * (1 - a) / after_n)
    if se == 0:
        return Difference(b, a, change, None, None)
    return Difference(b, a, change, change - Z95 * se, change + Z95 * se)


# ----- what-if --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """A different threshold to test against the recorded calls: one of the two is set."""

    explanations: int | None = None     # explanations before a non-regular call may end
    grace_seconds: float | None = None  # the wait after closure for regular calls

    def __post_init__(self) -> None:
        if (self.explanations is None) == (self.grace_seconds is None):
            raise ValueError("a what-if scenario changes exactly one threshold")
        if self.explanations is not None and self.explanations < 1:
            raise ValueError("explanations must be at least 1")
        if self.grace_seconds is not None and not 0 <= self.grace_seconds <= 30:
            raise ValueError("the grace wait must be between 0 and 30 s")

    @property
    def key(self) -> str:
        if self.explanations is not None:
            return f"explanations={self.explanations}"
        return f"grace={self.grace_seconds:g}"


@dataclass(frozen=True)
class WhatIf:
    """What a scenario would have changed, against the same calls under the current policy."""

    scenario: Scenario
    calls_touched: int            # calls whose allowed-to-end moment moves (or appears / vanishes)
    after_allowed_seconds: float  # time-after-allowed under the scenario
    current_seconds: float        # the same figure for the same calls under the current policy

    @property
    def released_change_minutes(self) -> float:
        """Extra agent minutes the scenario would release (negative: fewer)."""
        return (self.after_allowed_seconds - self.current_seconds) / 60


def parse_scenario(text: str) -> Scenario:
    """`explanations=2` or `grace=3` (seconds), as typed on the command line."""
    name, _, value = text.partition("=")
    try:
        if name.strip() == "explanations":
            return Scenario(explanations=int(value))
        if name.strip() == "grace":
            return Scenario(grace_seconds=float(value))
    except ValueError as exc:
        raise ValueError(f"what-if {text!r}: {exc}") from None
    raise ValueError(f"what-if {text!r}: use explanations=N or grace=SECONDS")


DEFAULT_SCENARIOS = (Scenario(explanations=2), Scenario(explanations=4), Scenario(grace_seconds=3.0))


# ----- histograms -------------------------------------------------------------------------------
def histogram(counts: dict[int, int], top: int) -> list[tuple[str, int]]:
    """Counts per value 0…top−1 and one "top+" bucket, every bucket present (zeros included)."""
    bars = [(str(v), counts.get(v, 0)) for v in range(top)]
    bars.append((f"{top}+", sum(n for v, n in counts.items() if v >= top)))
    return bars
