"""The centre's case facts per number, as the complaint system (or a lead) gives them to the server.

One definition for both ways in: `hangup-coach server import-cases FILE.csv` and `PUT /v1/cases`.
Every row is checked before anything is stored; a bad row is refused by its line (CSV) or its index
(JSON). Pure: no sockets, files or clock.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from ...core.phone import mask, normalise
from ... import wire

CSV_COLUMNS = ("number", "case_id", "closed_at", "branch_only")
MAX_CASES = 10_000                                   # rows per import or request
MAX_BODY_BYTES = 2_000_000
CENTRE_TIME = timezone(timedelta(hours=8), "CST")    # a time without an offset is China Standard Time
_YES = {"1", "yes", "y", "true", "是"}
_NO = {"0", "no", "n", "false", "否", ""}


@dataclass(frozen=True)
class Case:
    number: str                  # E.164
    case_id: str
    closed_at: str | None        # canonical UTC text; None while the case is open
    branch_only: bool


class CaseError(ValueError):
    """`where` is "line 7" (CSV) or "case 3" (JSON)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


def parse_case(raw: dict, where: str, region: str = "CN") -> Case:
    number = raw.get("number")
    e164 = normalise(number, region).e164 if isinstance(number, str) else None
    if e164 is None or not wire.is_e164(e164):
        raise CaseError(where, f"number {number!r} is not a phone number")
    case_id = raw.get("case_id")
    if not isinstance(case_id, str) or not case_id.strip() or len(case_id.strip()) > 64:
        raise CaseError(where, "case_id must be 1-64 characters")
    return Case(e164, case_id.strip(), _closed_at(raw.get("closed_at"), where), _branch_only(raw.get("branch_only"), where))


def _closed_at(value, where: str) -> str | None:
    """ISO date or date/time; without an offset it is centre time. A date alone counts from the end
    of that day, so a call on the closing day itself is never taken for a repeat after the result."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise CaseError(where, "closed_at must be an ISO date or date/time, or empty while the case is open")
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text) + timedelta(days=1), time(), CENTRE_TIME)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=CENTRE_TIME)
    except ValueError:
        raise CaseError(where, f"closed_at {value!r} is not an ISO date or date/time") from None
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _branch_only(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value in (0, 1):
        return bool(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CaseError(where, f"branch_only {value!r} must be 1/0, yes/no or 是/否")


def parse_csv(content: str, region: str = "CN") -> list[Case]:
    """The whole file's cases, or CaseError naming the first bad line (nothing is half-read)."""
    reader = csv.DictReader(io.StringIO(content.removeprefix("\ufeff")))   # Excel's BOM
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise CaseError("line 1", f"the header lacks {', '.join(missing)} (needs {','.join(CSV_COLUMNS)})")
    reader.fieldnames = header
    cases = []
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row:
            raise CaseError(where, "more fields than the header names")
        if all(not (v or "").strip() for v in row.values()):
            continue                                                    # a blank line
        cases.append((where, parse_case(row, where, region)))
    return _checked(cases)


def parse_json(body, region: str = "CN") -> list[Case]:
    if not isinstance(body, list):
        raise CaseError("body", "expected a JSON list of {number, case_id, closed_at, branch_only}")
    cases = []
    for index, raw in enumerate(body):
        if not isinstance(raw, dict) or set(raw) - set(CSV_COLUMNS):
            raise CaseError(f"case {index}", f"expected an object with {', '.join(CSV_COLUMNS)}")
        cases.append((f"case {index}", parse_case(raw, f"case {index}", region)))
    return _checked(cases)


def _checked(cases: list[tuple[str, Case]]) -> list[Case]:
    if len(cases) > MAX_CASES:
        raise CaseError(cases[MAX_CASES][0], f"at most {MAX_CASES:,} cases at once")
    seen: dict[str, tuple[str, Case]] = {}
    for where, case in cases:
        first = seen.setdefault(case.number, (where, case))
        if first[1] != case:
            raise CaseError(where, f"{mask(case.number)} was given different facts at {first[0]}")
    return [case for _, case in seen.values()]
