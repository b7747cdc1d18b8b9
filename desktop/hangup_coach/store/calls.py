"""Reads and writes of calls, notes, caller profiles and the blocklist."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from ..core.blocklist import LIFTED_SHOWN, Block, BlockNote, note_for
from ..core.callers import CallerClass, SubReason
from ..core.classify import CallerHistory, CallerProfile, PastCall
from ..core.coach import CallRecord
from . import outbox
from ..core.text import NOTE_LIMIT, valid_unicode

if TYPE_CHECKING:
    from .database import Database

# NOTE_LIMIT (core/text, re-exported here for the card): a longer note is refused clearly.

_DATETIME_FIELDS = {
    "started_at", "answered_at", "ended_at", "closure_confirmed_at", "hangup_allowed_at",
    "hangup_prompted_at", "wrapped_up_at", "updated_at",
}


# What classification reads of a past call, the same from `calls` and `team_calls`.
_PAST_COLUMNS = "started_at, caller_class, sub_reason, class_source, warnings, explanations, disposition"


class NoteTooLong(ValueError):
    pass


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class CallStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- calls -----------------------------------------------------------------------------
    def save_call(self, record: CallRecord) -> None:
        row = record.as_row()
        for key in _DATETIME_FIELDS:
            if row.get(key) is not None:
                row[key] = iso(getattr(record, key))
        row["customer_hung_up_in_grace"] = int(record.customer_hung_up_in_grace)
        row["agent_ended_early"] = int(record.agent_ended_early)
        row["times_reconstructed"] = int(record.times_reconstructed)
        for key, value in row.items():   # the edges clean text; this is the last guard (UTF-8 only)
            if isinstance(value, str):
                row[key] = valid_unicode(value)
        with outbox.write_transaction(self.db):  # the change and its outbox entry, or neither
            _upsert(self.db, "calls", "id", row)
            outbox.enqueue(self.db, "call", row["id"], row["updated_at"] or row["started_at"])

    def claim_unnumbered_calls(self, agent_id: str, now: datetime) -> int:
        """Calls recorded before the agent gave their number take it now (and go out to sync again)."""
        stamp = iso(now)
        with outbox.write_transaction(self.db):
            ids = [r[0] for r in self.db.execute("SELECT id FROM calls WHERE agent_id = ''")]
            for call_id in ids:
                self.db.execute("UPDATE calls SET agent_id = ?, updated_at = ? WHERE id = ?", [agent_id, stamp, call_id])
                outbox.enqueue(self.db, "call", call_id, stamp)
        return len(ids)

    def ended_line_ids(self, limit: int = 20_000) -> list[str]:
        """The line ids of the newest ended calls, oldest first: their events are ignored after a restart."""
        rows = self.db.execute(
            "SELECT line_call_id FROM (SELECT line_call_id, started_at FROM calls WHERE ended_at IS NOT NULL"
            " AND line_call_id IS NOT NULL ORDER BY started_at DESC LIMIT ?) ORDER BY started_at", [limit])
        return [r[0] for r in rows]

    def get_call(self, call_id: str) -> CallRecord | None:
        rows = list(self.db.query("SELECT * FROM calls WHERE id = ?", [call_id]))
        return record_from_row(rows[0]) if rows else None

    def open_calls(self) -> list[CallRecord]:
        """Calls not yet wrapped up (to bring back after a crash or restart), oldest first."""
        rows = self.db.query(
            "SELECT * FROM calls WHERE ended_at IS NULL OR wrapped_up_at IS NULL ORDER BY started_at")
        return [record_from_row(r) for r in rows]

    def list_calls(self, since: datetime | None = None, limit: int | None = None) -> list[dict]:
        sql = ("SELECT c.*, n.text AS note FROM calls c LEFT JOIN notes n ON n.call_id = c.id"
               + (" WHERE c.started_at >= ?" if since else "")
               + " ORDER BY c.started_at" + (f" LIMIT {int(limit)}" if limit else ""))
        return list(self.db.query(sql, [iso(since)] if since else []))

    # ----- history for classification ----------------------------------------------------------
    def history(self, e164: str, now: datetime, days: int) -> CallerHistory:
        # The agent's own calls and the team's (team_calls: pulled from the server), each once.
        since = iso(now - timedelta(days=days))
        rows = self.db.query(
            f"SELECT {_PAST_COLUMNS} FROM calls WHERE caller_number = ? AND started_at >= ?"
            f" UNION ALL SELECT {_PAST_COLUMNS} FROM team_calls t WHERE caller_number = ? AND started_at >= ?"
            " AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = t.call_id)"
            " ORDER BY started_at DESC LIMIT 200",
            [e164, since, e164, since],
        )
        past = tuple(
            PastCall(parse_time(r["started_at"]), CallerClass(r["caller_class"]), SubReason(r["sub_reason"]),
                     r["class_source"], r["warnings"], r["explanations"], r["disposition"])
            for r in rows
        )
        profile = None
        for r in self.db.query("SELECT * FROM caller_profiles WHERE number = ?", [e164]):
            profile = CallerProfile(r["case_id"], parse_time(r["case_closed_at"]), bool(r["branch_only"]))
        return CallerHistory(past, profile, self.block_note(e164, now))

    # ----- the blocklist -----------------------------------------------------------------------
    def block_note(self, e164: str, now: datetime) -> BlockNote | None:
        """What the blocklist says about a number: active, lifted lately, or only proposed."""
        blocks = [_block(r) for r in self.db.query(
            "SELECT * FROM blocklist WHERE number = ? AND status IN ('proposed','approved','active','expired','revoked')"
            " ORDER BY created_at DESC LIMIT 20", [e164])]
        return note_for(blocks, now, LIFTED_SHOWN)

    def propose_block(self, number: str, scope: str, reason: str, agent_id: str, call_id: str | None,
                      now: datetime) -> str:
        """An agent's proposal, queued for the server in the same transaction (offline first).
        One live proposal per number: proposing again while one waits returns that one's id."""
        with outbox.write_transaction(self.db):
            live = self.db.execute("SELECT id FROM blocklist WHERE number = ? AND status IN"
                                   " ('proposed','approved','active')", [number]).fetchone()
            if live:
                return live[0]
            block_id, stamp = str(uuid.uuid4()), iso(now)
            self.db.execute(
                "INSERT INTO blocklist (id, number, scope, reason, proposed_by, status, call_id, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, 'proposed', ?, ?, ?)",
                [block_id, number, scope, reason, agent_id, call_id, stamp, stamp])
            outbox.enqueue(self.db, "block_proposal", block_id, stamp)
        return block_id

    def save_profile(self, e164: str, case_id: str | None = None, case_closed_at: datetime | None = None,
                     branch_only: bool = False, now: datetime | None = None) -> None:
        _upsert(self.db, "caller_profiles", "number", {
            "number": e164, "case_id": case_id,
            "case_closed_at": iso(case_closed_at) if case_closed_at else None,
            "branch_only": int(branch_only), "updated_at": iso(now or datetime.now(timezone.utc)),
        })

    # ----- notes -----------------------------------------------------------------------------
    def save_note(self, call_id: str, text: str, now: datetime) -> None:
        """Durable when it returns, power cut included: one transaction committed with synchronous=FULL."""
        if len(text) > NOTE_LIMIT:
            raise NoteTooLong(f"note is {len(text):,} characters; the limit is {NOTE_LIMIT:,}")
        stamp = iso(now)
        text = valid_unicode(text)
        self.db.execute("PRAGMA synchronous = FULL")
        try:
            with outbox.write_transaction(self.db):  # the note and its outbox entry, or neither
                self.db.execute(
                    "INSERT INTO notes (id, call_id, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(call_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
                    [str(uuid.uuid4()), call_id, text, stamp, stamp],
                )
                outbox.enqueue(self.db, "note", call_id, stamp)
        finally:
            self.db.execute("PRAGMA synchronous = NORMAL")

    def note(self, call_id: str) -> str:
        for r in self.db.query("SELECT text FROM notes WHERE call_id = ?", [call_id]):
            return r["text"]
        return ""


def _upsert(db: Database, table: str, pk: str, row: dict) -> None:
    """INSERT … ON CONFLICT DO UPDATE, written out. sqlite-utils' upsert() probes the SQLite version
    with a CREATE TABLE once per connection; if that probe meets a lock it caches "no support" and
    falls back to INSERT OR IGNORE + UPDATE, which silently drops every new row (NOT NULL columns)."""
    columns = list(row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != pk)
    db.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
               f" ON CONFLICT({pk}) DO UPDATE SET {updates}", [row[c] for c in columns])


def record_from_row(row: dict) -> CallRecord:
    values = dict(row)
    values.pop("version", None)  # the sync change counter (store/outbox.py), not part of the call
    for key in _DATETIME_FIELDS:
        values[key] = parse_time(values.get(key))
    values["customer_hung_up_in_grace"] = bool(values["customer_hung_up_in_grace"])
    values["agent_ended_early"] = bool(values["agent_ended_early"])
    values["times_reconstructed"] = bool(values.get("times_reconstructed", 0))
    return CallRecord(**values)


def _block(row: dict) -> Block:
    return Block(row["id"], row["number"], row["scope"], row["reason"], row["status"],
                 parse_time(row["created_at"]), proposed_by=row["proposed_by"], decided_by=row["decided_by"],
                 operated_by=row["operated_by"], expires_at=parse_time(row["expires_at"]),
                 review_at=parse_time(row["review_at"]), ended_at=parse_time(row["ended_at"]),
                 note=row["note"], automatic=bool(row["automatic"]))
