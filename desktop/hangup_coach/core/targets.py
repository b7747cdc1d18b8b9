"""The centre's targets and the red / amber / green flag of a figure against them.

Targets are data (`resources/targets.toml`, a centre's own copy overrides it like the policy);
this module reads the parsed TOML and judges values. Pure: no files, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from .stats import Tally, ratio

GREEN, AMBER, RED = "green", "amber", "red"


class TargetError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    better: str          # "higher" or "lower"
    green: float
    amber: float

    def flag(self, value: float | None) -> str | None:
        """green / amber / red, or None for no value."""
        if value is None:
            return None
        if self.better == "higher":
            return GREEN if value >= self.green else AMBER if value >= self.amber else RED
        return GREEN if value <= self.green else AMBER if value <= self.amber else RED

    def improved(self, change: float) -> bool:
        return change > 0 if self.better == "higher" else change < 0


def targets_from_toml(data: dict) -> dict[str, Target]:
    out = {}
    for name, spec in data.items():
        try:
            better, green, amber = spec["better"], float(spec["green"]), float(spec["amber"])
        except (KeyError, TypeError, ValueError):
            raise TargetError(f"[{name}] needs better, green and amber") from None
        if better not in ("higher", "lower"):
            raise TargetError(f"[{name}] better must be \"higher\" or \"lower\", not {better!r}")
        if (better == "higher" and amber > green) or (better == "lower" and amber < green):
            raise TargetError(f"[{name}] amber {amber:g} is beyond green {green:g}")
        out[name] = Target(better, green, amber)
    return out


# The figures of a Tally that have targets (the feedback figures come from the report itself).
TALLY_METRICS = {
    "agent_share": lambda t: t.agent_share,
    "average_handle_seconds": lambda t: t.average_handle_seconds,
    "after_allowed_seconds": lambda t: ratio(t.after_allowed_seconds, t.allowed),
    "early_share": lambda t: ratio(t.agent_early, t.answered),
}


def metric(name: str, tally: Tally) -> float | None:
    return TALLY_METRICS[name](tally)


def median(values: list[float | None]) -> float | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    mid = len(known) // 2
    return known[mid] if len(known) % 2 else (known[mid - 1] + known[mid]) / 2
