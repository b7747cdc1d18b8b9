"""The centre's hang-up policy as data: thresholds come from `resources/policy.toml`.

A centre changes "3 explanations" without a release; a malformed file is an error that names the
key, never a silent default. Every key the file may hold is declared once, in SCHEMA, with its type
and sane range: a value outside it (nan, a million days, an unknown region) or a key not declared
(a typo: "did you mean …?") is refused at start-up, not discovered on every call.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime


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
        "resolved", "explained", "transferred", "callback", "warned_and_ended", "missed", "rejected", "busy",
        "other",
    )
    # the line: an open call a CTI bridge has said nothing about for this long is closed as unknown
    stale_call_hours: float = 4.0
    # review (dashboard): when the centre adopted the policy, and the agent share it started from
    policy_start: date | None = None
    baseline_agent_share: float = 0.18

    @classmethod
    def from_toml(cls, text: str) -> "Policy":
        try:
            data = tomllib.loads(text.removeprefix("\ufeff"))   # Windows editors write a BOM
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"policy file is not valid TOML: {exc}") from exc
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: dict) -> "Policy":
        values: dict = {}
        refuse_unknown(data, SCHEMA, "section", "[{}]")
        for section, keys in SCHEMA.items():
            table = data.get(section, {})
            if not isinstance(table, dict):
                raise PolicyError(f"[{section}] must be a table")
            refuse_unknown(table, keys, "key", f"{section}.{{}}")
            for key, rule in keys.items():
                if key in table:
                    value = rule.check(f"{section}.{key}", table[key])
                    if rule.field:
                        values[rule.field] = value
        policy = cls(**values)
        if policy.repeat_window_days > policy.history_days:
            raise PolicyError(f"classification.repeat_window_days ({policy.repeat_window_days}) must not be longer "
                              f"than classification.history_days ({policy.history_days})")
        return policy


@dataclass(frozen=True)
class Number:
    field: str | None          # the Policy field it sets; None: validated, read by another part
    kind: type                 # int or float
    low: float
    high: float

    def check(self, where: str, raw: object) -> float | int:
        if self.kind is float and isinstance(raw, int) and not isinstance(raw, bool):
            raw = float(raw)
        if not isinstance(raw, self.kind) or isinstance(raw, bool):
            raise PolicyError(f"{where} must be {'a number' if self.kind is float else 'a whole number'}, got {raw!r}")
        if not math.isfinite(raw) or not self.low <= raw <= self.high:
            raise PolicyError(f"{where} must be from {self.low:g} to {self.high:g}, got {raw!r}")
        return raw


@dataclass(frozen=True)
class Region:
    field: str

    def check(self, where: str, raw: object) -> str:
        from .phone import known_region

        if not isinstance(raw, str) or not known_region(raw):
            raise PolicyError(f"{where} must be a two-letter region code such as \"CN\", got {raw!r}")
        return raw


@dataclass(frozen=True)
class Names:
    field: str

    def check(self, where: str, raw: object) -> tuple[str, ...]:
        if (not isinstance(raw, list) or not raw
                or not all(isinstance(x, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,39}", x) for x in raw)):
            raise PolicyError(f"{where} must be a non-empty list of names (a-z, 0-9, _), got {raw!r}")
        if len(set(raw)) != len(raw):
            raise PolicyError(f"{where} lists a name twice: {raw!r}")
        return tuple(raw)


@dataclass(frozen=True)
class Day:
    field: str | None

    def check(self, where: str, raw: object) -> date:
        if isinstance(raw, date) and not isinstance(raw, datetime):   # TOML's bare 2026-06-01
            return raw
        try:
            return date.fromisoformat(raw)
        except (TypeError, ValueError):
            raise PolicyError(f"{where} must be a date written YYYY-MM-DD, got {raw!r}") from None


# Every section and key the policy file may hold. A new key is one line here (and a Policy field).
SCHEMA: dict[str, dict] = {
    "hangup": {"grace_seconds": Number("grace_seconds", float, 0, 30)},
    "no_value": {"warnings_before_cutoff": Number("warnings_before_cutoff", int, 0, 20)},
    "non_regular": {"explanations_before_polite_end": Number("explanations_before_polite_end", int, 1, 20)},
    "classification": {
        "history_days": Number("history_days", int, 1, 3650),
        "no_value_min_calls": Number("no_value_min_calls", int, 1, 100),
        "repeat_window_days": Number("repeat_window_days", int, 1, 3650),
    },
    "numbers": {"default_region": Region("region")},
    "wrapup": {"dispositions": Names("dispositions")},
    "line": {"stale_call_hours": Number("stale_call_hours", float, 0.05, 72)},
    # Read by the team-lead dashboard (before/after review of the policy).
    "review": {
        "policy_start": Day("policy_start"),
        "baseline_agent_share": Number("baseline_agent_share", float, 0, 1),
    },
}


def refuse_unknown(table: dict, declared: dict, what: str, shown: str) -> None:
    for name in table:
        if name not in declared:
            close = difflib.get_close_matches(str(name), list(declared), n=1)
            hint = f"; did you mean {shown.format(close[0])}?" if close else f"; known: {', '.join(declared)}"
            raise PolicyError(f"unknown {what} {shown.format(name)}{hint}")
