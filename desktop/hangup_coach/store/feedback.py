"""Importing satisfaction scores and complaints from the file a centre exports from its survey or
complaint system (`hangup-coach import-feedback FILE.csv`).

What a centre's Excel really writes is read as it is: UTF-8 with or without a BOM, UTF-16 with
a BOM ("Unicode text"), or GB18030/GBK (Excel's plain "CSV (逗号分隔)" on a Chinese system),
detected from the bytes or named with `encoding`; `,`, `;` or tab between the fields (read off the
header row); dates as 2026-06-01, 2026/6/1, 2026.6.1 or 2026年6月1日, with or without a time.

The file needs a header row. Columns (English or Chinese names, any order, others ignored):

    call_id   通话编号   the call's id in this app          } one of the two per row
    number    号码       the caller's number (any format)    }
    date      日期       the day (a time after it is ignored)
    score     满意度     on the centre's scale (`resources/feedback.toml`, 1–5), may be empty
    complaint 投诉       1/0, yes/no, true/false, 是/否, may be empty

Each row needs a score or a complaint flag. Refused, with the line: a score outside the scale,
a date before 2000 or after tomorrow, a malformed row; then nothing is imported. A call id this
file does not know is imported (the survey may run ahead of the sync), counted and warned about.

Streamed: rows are checked and put in a temporary table in batches (memory stays flat for
millions of rows); only when the whole file is good are they copied into `feedback` in one short
write transaction. Importing the same rows again replaces them (one row per call, or per number
and day). Errors carry a message key and values (`FeedbackError.key`); the caller words them in
the user's language (`feedback_*` texts).
"""

from __future__ import annotations

import codecs
import csv
import functools
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from ..core.phone import normalise

if TYPE_CHECKING:
    from .database import Database

HEADERS = {
    "call_id": "call_id", "通话编号": "call_id",
    "number": "number", "号码": "number",
    "date": "date", "日期": "date",
    "score": "score", "满意度": "score",
    "complaint": "complaint", "投诉": "complaint",
}
TRUE = {"1", "yes", "y", "true", "是"}
FALSE = {"0", "no", "n", "false", "否"}
EARLIEST = date(2000, 1, 1)    # older feedback is a typo (1900, a two-digit year), not a survey
BATCH = 20_000
_DATE = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\S.*)?\s*$")


class FeedbackError(ValueError):
    """The file cannot be imported. `key` names the message (texts `feedback_<key>`), `values`
    fill it; `source` and `line` say where."""

    def __init__(self, key: str, source: str = "", line: int | None = None, **values) -> None:
        self.key, self.source, self.line, self.values = key, source, line, values
        super().__init__(f"{source}, line {line}: {key} {values}" if line else f"{source}: {key} {values}")

    def message(self, texts: dict[str, str]) -> str:
        text = texts[f"feedback_{self.key}"].format(**self.values)
        if self.line is not None:
            return texts["feedback_where"].format(source=self.source, line=self.line, message=text)
        return f"{self.source}: {text}" if self.source else text


@dataclass(frozen=True)
class FeedbackRow:
    call_id: str | None
    caller_number: str | None   # E.164
    day: date
    score: float | None
    complaint: bool | None
    line: int


@dataclass(frozen=True)
class Imported:
    rows: int
    unknown_calls: int    # rows naming a call id that is in neither `calls` nor the team's calls
    encoding: str


def detect_encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: a BOM says it; else UTF-8 if they decode as
    UTF-8 (a character cut at the end of the sample is fine), else GB18030 (a superset of GBK)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def read_rows(lines: Iterable[str], source: str = "feedback.csv", region: str = "CN",
              scale: tuple[float, float] = (1.0, 5.0), today: date | None = None) -> Iterator[FeedbackRow]:
    """Check and yield the rows of a text stream one by one; raises FeedbackError at the first bad line."""
    lines = iter(lines)
    first = next(lines, None)
    if first is None or not first.strip("\ufeff \r\n"):
        raise FeedbackError("empty", source)
    first = first.lstrip("\ufeff")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(_chain(first, lines), delimiter=delimiter)
    try:
        header = next(reader)
        columns = {HEADERS[h.strip().lower()]: i for i, h in enumerate(header) if h.strip().lower() in HEADERS}
        if "date" not in columns or not {"call_id", "number"} & columns.keys() \
                or not {"score", "complaint"} & columns.keys():
            raise FeedbackError("header", source, 1, found=", ".join(h.strip() for h in header) or "—")
        latest = (today or datetime.now(timezone.utc).date()) + timedelta(days=1)
        check = _RowCheck(columns, source, region, scale, latest)
        for values in reader:
            if any(v.strip() for v in values):
                yield check(values, reader.line_num)
    except csv.Error as exc:
        raise FeedbackError("csv", source, reader.line_num, error=str(exc)) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


class _RowCheck:
    def __init__(self, columns: dict[str, int], source: str, region: str, scale: tuple[float, float],
                 latest: date) -> None:
        self.columns, self.source, self.region, self.latest = columns, source, region, latest
        self.low, self.high = scale
        self.number = functools.lru_cache(maxsize=100_000)(lambda raw: normalise(raw, region))
        self.day = functools.lru_cache(maxsize=10_000)(_day)

    def __call__(self, values: list[str], line: int) -> FeedbackRow:
        def cell(name: str) -> str:
            i = self.columns.get(name)
            return values[i].strip() if i is not None and i < len(values) else ""

        def refuse(key: str, **kw) -> FeedbackError:
            return FeedbackError(key, self.source, line, **kw)

        call_id, raw_number, raw_day = cell("call_id") or None, cell("number"), cell("date")
        number = None
        if raw_number:
            parsed = self.number(raw_number)
            if not parsed.known:
                raise refuse("number", value=raw_number)
            number = parsed.e164
        if call_id is None and number is None:
            raise refuse("needs_id")
        day = self.day(raw_day)
        if day is None:
            raise refuse("date", value=raw_day)
        if not EARLIEST <= day <= self.latest:
            raise refuse("date_range", value=day.isoformat(), earliest=EARLIEST.isoformat(),
                         latest=self.latest.isoformat())
        score = None
        if raw_score := cell("score"):
            try:
                score = float(raw_score)
            except ValueError:
                raise refuse("score", value=raw_score) from None
            if score != score or not self.low <= score <= self.high:   # NaN compares false
                raise refuse("score_range", value=raw_score, low=f"{self.low:g}", high=f"{self.high:g}")
        complaint = None
        if flag := cell("complaint").lower():
            if flag not in TRUE | FALSE:
                raise refuse("complaint", value=cell("complaint"))
            complaint = flag in TRUE
        if score is None and complaint is None:
            raise refuse("needs_value")
        return FeedbackRow(call_id, number, day, score, complaint, line)


def _day(text: str) -> date | None:
    match = _DATE.fullmatch(text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:   # 2026/2/30
        return None


def import_file(db: Database, path: Path, region: str = "CN", now: datetime | None = None,
                encoding: str | None = None, scale: tuple[float, float] = (1.0, 5.0), progress=None) -> Imported:
    """Import the file: every row or none. `progress(rows)` is called after each batch checked."""
    now = now or datetime.now(timezone.utc)
    try:
        with open(path, "rb") as f:
            encoding = encoding or detect_encoding(f.read(65536))
        codecs.lookup(encoding)
        handle = open(path, encoding=encoding, newline="")
    except LookupError:
        raise FeedbackError("unknown_encoding", path.name, encoding=encoding) from None
    except OSError as exc:
        raise FeedbackError("cannot_read", "", path=str(path), error=exc.strerror or str(exc)) from None
    conn = db.conn
    conn.execute("DROP TABLE IF EXISTS temp.feedback_import")   # (a DELETE would open a transaction)
    conn.execute("CREATE TEMP TABLE feedback_import"
                 " (call_id TEXT, caller_number TEXT, day TEXT, score REAL, complaint INTEGER, line INTEGER)")
    try:
        with handle:
            checked = 0
            rows = read_rows(handle, path.name, region, scale, now.date())
            while True:
                batch = [(r.call_id, r.caller_number, r.day.isoformat(), r.score,
                          None if r.complaint is None else int(r.complaint), r.line)
                         for r in itertools.islice(rows, BATCH)]
                if not batch:
                    break
                with db.atomic():   # the temporary table only: the call file is not locked meanwhile
                    conn.executemany("INSERT INTO temp.feedback_import VALUES (?, ?, ?, ?, ?, ?)", batch)
                checked += len(batch)
                if progress:
                    progress(checked)
    except UnicodeDecodeError:
        raise FeedbackError("encoding", path.name, _undecodable_line(path, encoding), encoding=encoding) from None
    try:
        unknown = conn.execute(
            "SELECT count(*) FROM temp.feedback_import AS f WHERE call_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM calls WHERE id = f.call_id)"
            " AND NOT EXISTS (SELECT 1 FROM team_pull_calls WHERE id = f.call_id)").fetchone()[0]
        stamp = now.isoformat(timespec="milliseconds")
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT INTO feedback (call_id, caller_number, day, score, complaint, source, imported_at)"
                " SELECT call_id, caller_number, day, score, complaint, ? || ':' || line, ?"
                " FROM temp.feedback_import WHERE true ORDER BY line"
                " ON CONFLICT (ifnull(call_id, ''), ifnull(caller_number, ''), day) DO UPDATE SET"
                " score = excluded.score, complaint = excluded.complaint, source = excluded.source,"
                " imported_at = excluded.imported_at", [path.name, stamp])
            conn.execute("COMMIT")
        except BaseException:
            conn.rollback()
            raise
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.feedback_import")
    return Imported(checked, unknown, encoding)


def _undecodable_line(path: Path, encoding: str) -> int:
    """The first line that does not decode (the text reader fails a block ahead of the rows)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return number
    return number
