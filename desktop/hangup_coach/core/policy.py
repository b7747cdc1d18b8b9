"""The centre's hang-up policy as data: thresholds come from `resources/policy.toml`.

A centre changes "3 explanations" without a release; a malformed file is an error that
names the key, never a silent default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date


class PolicyError(ValueError):
    """The policy file is malformed; the message names the key."""


@dataclass(frozen=True)
class Policy:
    grace_seconds: float = 2.0
    warnings_before_cutoff: int = 1
    explanations_before_polite_end: int = 3
    # classification
    history_days: int = 30            # how far back local history counts
    no_value_min_calls: int = 1       # recent no-value calls that make a number no-value
    repeat_window_days: int = 7       # "3rd call in 7 days about complaint #…"
    region: str = "CN"                # default region for numbers without a country code
    dispositions: tuple[str, ...] = (
        "resolved", "explained", "transferred", "callback", "warned_and_ended", "missed", "other",
    )
    # review (dashboard): when the centre adopted the policy, and the agent share it started from
    policy_start: date | None = None
    baseline_agent_share: float = 0.18

    @classmethod
    def from_toml(cls, text: str) -> "Policy":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"policy file is not valid TOML: {exc}") from exc
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: dict) -> "Policy":
        known = {
            "grace_seconds": ("hangup", "grace_seconds", float),
            "warnings_before_cutoff": ("no_value", "warnings_before_cutoff", int),
            "explanations_before_polite_end": ("non_regular", "explanations_before_polite_end", int),
            "history_days": ("classification", "history_days", int),
            "no_value_min_calls": ("classification", "no_value_min_calls", int),
            "repeat_window_days": ("classification", "repeat_window_days", int),
            "region": ("numbers", "default_region", str),
            "dispositions": ("wrapup", "dispositions", list),
            "policy_start": ("review", "policy_start", date),
            "baseline_agent_share": ("review", "baseline_agent_share", float),
        }
        values: dict = {}
        for field_name, (section, key, kind) in known.items():
            where = f"{section}.{key}"
            table = data.get(section, {})
            if not isinstance(table, dict):
                raise PolicyError(f"[{section}] must be a table")
            if key not in table:
                continue
            raw = table[key]
            if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
                raw = float(raw)
            if not isinstance(raw, kind) or isinstance(raw, bool):
                raise PolicyError(f"{where} must be {kind.__name__}, got {raw!r}")
            if kind in (int, float) and raw < 0:
                raise PolicyError(f"{where} must not be negative, got {raw!r}")
            if kind is list:
                if not raw or not all(isinstance(x, str) and x for x in raw):
                    raise PolicyError(f"{where} must be a non-empty list of names")
                raw = tuple(raw)
            values[field_name] = raw
        policy = cls(**values)
        if policy.grace_seconds > 30:
            raise PolicyError(f"hangup.grace_seconds must be at most 30, got {policy.grace_seconds}")
        if not 0 <= policy.baseline_agent_share <= 1:
            raise PolicyError(f"review.baseline_agent_share must be between 0 and 1, got {policy.baseline_agent_share}")
        if policy.explanations_before_polite_end < 1:
            raise PolicyError("non_regular.explanations_before_polite_end must be at least 1")
        return policy
