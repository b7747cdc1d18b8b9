"""Bringing an agent's calls and notes back into their current file: from another copy of the
database (one kept aside as damaged, one the card lost when its file was deleted or replaced) or
from a journal of unsaved changes. Used by the store worker when its file changes under it and by
`hangup-coach recover` (IT).

Only the agent's own records come back: calls and notes. A record is added when the current file
does not have it, and replaces the current one only when it is newer (`updated_at`); it is queued
for the server like any change. What the server gives (profiles, blocklist, the team's calls) comes
back with the next sync. Reading goes row by row, so a damaged page loses only what is on it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .calls import CallStore, parse_time, record_from_row


@dataclass
class MergeReport:
    added_calls: list[str] = field(default_factory=list)
    newer_calls: list[str] = field(default_factory=list)
    added_notes: list[str] = field(default_factory=list)
    newer_notes: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)    # what could not be read, and why

    @property
    def changes(self) -> int:
        return len(self.added_calls) + len(self.newer_calls) + len(self.added_notes) + len(self.newer_notes)


def read_database(conn: sqlite3.Connection) -> tuple[list[dict], list[dict], list[str]]:
    """Calls and notes of another copy, row by row; (calls, notes, what could not be read)."""
    conn.row_factory = sqlite3.Row
    found, unreadable = {"calls": [], "notes": []}, []
    for table, key in (("calls", "id"), ("notes", "call_id")):
        try:
            keys = [r[0] for r in conn.execute(f"SELECT rowid FROM {table}")]
        except sqlite3.DatabaseError as exc:
            unreadable.append(f"{table}: {exc}")
            continue
        for rowid in keys:
            try:
                row = conn.execute(f"SELECT * FROM {table} WHERE rowid = ?", [rowid]).fetchone()
                found[table].append(dict(row))
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                unreadable.append(f"{table} row {rowid}: {exc}")
    return found["calls"], found["notes"], unreadable


def read_database_file(path: Path) -> tuple[list[dict], list[dict], list[str]]:
    """As `read_database`, opening the file read-only (it is never changed)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return read_database(conn)
    finally:
        conn.close()


def merge(target: CallStore, calls: list[dict], notes: list[dict], dry_run: bool = False,
          report: MergeReport | None = None) -> MergeReport:
    """Bring `calls` and `notes` (rows as the database or the journal holds them) into `target`."""
    report = report or MergeReport()
    for row in calls:
        try:
            record = record_from_row(row)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            report.unreadable.append(f"call {row.get('id') if isinstance(row, dict) else row!r}: {exc}")
            continue
        current = target.get_call(record.id)
        if current is not None and current.updated_at >= record.updated_at:
            continue
        (report.added_calls if current is None else report.newer_calls).append(record.id)
        if not dry_run:
            target.save_call(record)
    for row in notes:
        try:
            call_id, text = str(row["call_id"]), str(row["text"])
            at = parse_time(row.get("updated_at") or row["at"])
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            report.unreadable.append(f"note {row.get('call_id') if isinstance(row, dict) else row!r}: {exc}")
            continue
        current = target.db.execute("SELECT text, updated_at FROM notes WHERE call_id = ?", [call_id]).fetchone()
        if current is not None and (current[0] == text or parse_time(current[1]) >= at):
            continue
        if current is None and target.get_call(call_id) is None and call_id not in report.added_calls:
            report.unreadable.append(f"note {call_id}: its call is in neither file")
            continue
        (report.added_notes if current is None else report.newer_notes).append(call_id)
        if not dry_run:
            target.save_note(call_id, text, at)
    return report
