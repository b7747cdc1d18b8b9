"""Scripted lines (挂机话术), reason sentences and labels, from `resources/scripts/<lang>.toml`.

Placeholders such as {agent_id} and {branch_hours} are filled from settings. Every line is
checked when the book is loaded, so a typo in a centre's script is an error at start-up that
names the line, not a crash in the middle of a call.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from datetime import datetime, tzinfo

from .callers import CallerClass, EndedBy, SubReason
from .classify import Reason

PLACEHOLDERS = {"agent_id", "branch_hours"}   # filled from Settings

# Which lines every script book must have.
REQUIRED_LINES = (
    ["closing"]
    + [f"warning.{s.value}" for s in (SubReason.HARASSMENT, SubReason.ABUSE, SubReason.OUT_OF_SCOPE)]
    + [f"ending.{s.value}" for s in (SubReason.HARASSMENT, SubReason.ABUSE, SubReason.OUT_OF_SCOPE)]
    + [f"explanation_limit.{s.value}" for s in (SubReason.CLOSED_CASE, SubReason.MUST_VISIT_BRANCH)]
)
REQUIRED_REASONS = (
    "withheld", "blocklisted", "recent_no_value", "closed_case_repeat", "branch_only",
    "previous_non_regular", "regular_known", "regular_first", "agent",
)  # optional: agent_corrected (a centre's older script file falls back to the "agent" line)
# Optional: what the blocklist says after the reason; a script file without them says nothing.
BLOCK_NOTES = ("block_active", "block_permanent", "block_proposed", "block_lifted")
REASON_PARAMS = {"count", "days", "sub", "last", "nth", "nth_ordinal", "case", "closed", "text", "class", "until"}


class ScriptError(ValueError):
    """A script file is malformed; the message names the line."""


@dataclass(frozen=True)
class Prompt:
    """What the card suggests saying now: a line kind and the caller's sub-reason."""

    kind: str                      # closing | warning | ending | explanation_limit
    sub_reason: SubReason = SubReason.NONE
    allows_hangup: bool = True

    @property
    def key(self) -> str:
        return self.kind if self.kind == "closing" else f"{self.kind}.{self.sub_reason.value}"


class ScriptBook:
    def __init__(self, data: dict, source: str = "script") -> None:
        meta = data.get("meta", {})
        self.language = str(meta.get("language", ""))
        self._date = str(meta.get("date", "{month:02d}-{day:02d}"))   # e.g. "{month}月{day}日"
        self._months = [str(m) for m in meta.get("months", [])]
        if self._months and len(self._months) != 12:
            raise ScriptError(f"{source}: meta.months must name 12 months")
        self._lines = _flatten(data.get("lines", {}))
        self._reasons = _flatten(data.get("reasons", {}))
        self._labels = {k: _flatten(v) for k, v in data.get("labels", {}).items()}
        for key in REQUIRED_LINES:
            _check(self._lines, key, PLACEHOLDERS, f"{source}: lines.{key}")
        for key in REQUIRED_REASONS + tuple(k for k in BLOCK_NOTES if k in self._reasons):
            _check(self._reasons, key, REASON_PARAMS, f"{source}: reasons.{key}")
        for group, keys in (
            ("classes", [c.value for c in CallerClass]),
            ("sub_reasons", [s.value for s in SubReason if s.value]),
            ("ended_by", [e.value for e in EndedBy]),
        ):
            for key in keys:
                if not isinstance(self._labels.get(group, {}).get(key), str):
                    raise ScriptError(f"{source}: labels.{group}.{key} is missing")

    @classmethod
    def from_toml(cls, text: str, source: str = "script") -> "ScriptBook":
        try:
            return cls(tomllib.loads(text.removeprefix("\ufeff")), source)   # a BOM is fine
        except tomllib.TOMLDecodeError as exc:
            raise ScriptError(f"{source}: not valid TOML: {exc}") from exc

    def line(self, prompt: Prompt, **fill: str) -> str:
        values = {name: fill.get(name) or "" for name in PLACEHOLDERS}
        return self._lines[prompt.key].format(**values)

    def label(self, group: str, key: str) -> str:
        return self._labels.get(group, {}).get(key, key)

    def date(self, when: datetime) -> str:
        """A day as the script's language writes it ("11月3日", "Nov 3")."""
        name = self._months[when.month - 1] if self._months else str(when.month)
        return self._date.format(month=when.month, day=when.day, month_name=name)

    def render_reason(self, reason: Reason, tz: tzinfo | None = None) -> str:
        params = dict(reason.params)
        for name, value in list(params.items()):
            if isinstance(value, datetime):
                params[name] = self.date(value.astimezone(tz))
        if "sub" in params:
            params["sub"] = self.label("sub_reasons", params["sub"])
        if "class" in params:
            params["class"] = self.label("classes", params["class"])
        if "nth" in params:
            params["nth_ordinal"] = _ordinal(int(params["nth"]))
        if reason.key in BLOCK_NOTES and reason.key not in self._reasons:
            return ""
        fallback = self._reasons.get("agent", reason.key) if reason.key == "agent_corrected" else reason.key
        template = self._reasons.get(reason.key, fallback)
        return template.format_map(_Default(params))


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _check(table: dict[str, str], key: str, allowed: set[str], where: str) -> None:
    text = table.get(key)
    if not isinstance(text, str) or not text.strip():
        raise ScriptError(f"{where} is missing or empty")
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ScriptError(f"{where}: {exc}") from exc
    for name, spec, conversion in parsed:
        if spec or conversion:   # {count:d} breaks on the text a reason is filled with
            raise ScriptError(f"{where}: write the placeholder as {{{name}}}, without a format ({text!r})")
    fields = {f for f, _, _ in parsed}
    unknown = fields - allowed
    if unknown:
        raise ScriptError(f"{where} uses unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
