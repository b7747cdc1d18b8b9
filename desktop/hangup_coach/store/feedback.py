"""Importing satisfaction scores and complaints from a CSV the centre exports from its survey
or complaint system (`hangup-coach import-feedback FILE.csv`).

The file needs a header row. Columns (English or Chinese names, any order, others ignored):

    call_id   通话编号   the call's id in this app          } one of the two per row
    number    号码       the caller's number (any format)    }
    date      日期       YYYY-MM-DD (or an ISO date-time; its date is used)
    score     满意度     a number (the centre's own scale), may be empty
    complaint 投诉       1/0, yes/no, true/false, 是/否, may be empty

Each row needs a score or a complaint flag. The whole file is checked before anything is
written; a malformed file is refused with its line number and nothing is imported. Importing
the same rows again replaces them (one row per call, or per number and day).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.phone import normalise

if TYPE_CHECKING:
    from sqlite_utils import Database

HEADERS = {
    "call_id": "call_id", "通话编号": "call_id",
    "number": "number", "号码": "number",
    "date": "date", "日期": "date",
    "score": "score", "满意度": "score",
    "complaint": "complaint", "投诉": "complaint",
}
TRUE = {"1", "yes", "y", "true", "是"}
FALSE = {"0", "no", "n", "false", "否"}
MAX_ROWS = 1_000_000


class FeedbackError(ValueError):
    """The file cannot be imported; the message names the file and the line."""


@dataclass(frozen=True)
class FeedbackRow:
    call_id: str | None
    caller_number: str | None   # E.164
    day: date
    score: float | None
    complaint: bool | None
    line: int


def parse(text: str, source: str = "feedback.csv", region: str = "CN") -> list[FeedbackRow]:
    """Check and read the whole file; raises FeedbackError naming the first bad line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise FeedbackError(f"{source}: the file is empty (it needs a header row: call_id,number,date,score,complaint)")
    except csv.Error as exc:
        raise FeedbackError(f"{source}, line 1: {exc}") from None
    columns = {HEADERS[h.strip().lower()]: i for i, h in enumerate(header) if h.strip().lower() in HEADERS}
    if "date" not in columns or not {"call_id", "number"} & columns.keys() or not {"score", "complaint"} & columns.keys():
        raise FeedbackError(f"{source}, line 1: the header needs date, call_id or number, and score or complaint"
                            f" (found: {', '.join(h.strip() for h in header) or 'nothing'})")
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise FeedbackError(f"{source}, line {line}: more than {MAX_ROWS:,} rows; split the file")
            rows.append(_row(values, columns, line, source, region))
    except csv.Error as exc:
        raise FeedbackError(f"{source}, line {reader.line_num}: {exc}") from None
    return rows


def _row(values: list[str], columns: dict[str, int], line: int, source: str, region: str) -> FeedbackRow:
    def cell(name: str) -> str:
        i = columns.get(name)
        return values[i].strip() if i is not None and i < len(values) else ""

    where = f"{source}, line {line}"
    call_id, raw_number, raw_day = cell("call_id") or None, cell("number"), cell("date")
    number = None
    if raw_number:
        parsed = normalise(raw_number, region)
        if not parsed.known:
            raise FeedbackError(f"{where}: the number is not a phone number")
        number = parsed.e164
    if call_id is None and number is None:
        raise FeedbackError(f"{where}: needs a call_id or a number")
    try:
        day = (datetime.fromisoformat(raw_day).date() if "T" in raw_day or " " in raw_day
               else date.fromisoformat(raw_day.replace("/", "-")))
    except ValueError:
        raise FeedbackError(f"{where}: date {raw_day!r} is not YYYY-MM-DD") from None
    score = None
    if cell("score"):
        try:
            score = float(cell("score"))
        except ValueError:
            raise FeedbackError(f"{where}: score {cell('score')!r} is not a number") from None
        if score != score or abs(score) == float("inf"):
            raise FeedbackError(f"{where}: score {cell('score')!r} is not a number")
    complaint = None
    flag = cell("complaint").lower()
    if flag:
        if flag not in TRUE | FALSE:
            raise FeedbackError(f"{where}: complaint {cell('complaint')!r} is not 1/0, yes/no or 是/否")
        complaint = flag in TRUE
    if score is None and complaint is None:
        raise FeedbackError(f"{where}: needs a score or a complaint flag")
    return FeedbackRow(call_id, number, day, score, complaint, line)


def import_file(db: Database, path: Path, region: str = "CN", now: datetime | None = None) -> int:
    """Import the file in one transaction (all rows or none); returns the rows imported."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise FeedbackError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise FeedbackError(f"{path.name}, line {line}: not UTF-8 text (save the file as CSV UTF-8)") from None
    rows = parse(text, path.name, region)
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="milliseconds")
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO feedback (call_id, caller_number, day, score, complaint, source, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (ifnull(call_id, ''), ifnull(caller_number, ''), day) DO UPDATE SET"
            " score = excluded.score, complaint = excluded.complaint, source = excluded.source,"
            " imported_at = excluded.imported_at",
            [(r.call_id, r.caller_number, r.day.isoformat(), r.score,
              None if r.complaint is None else int(r.complaint), f"{path.name}:{r.line}", stamp) for r in rows])
    return len(rows)
