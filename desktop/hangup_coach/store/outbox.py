"""The sync outbox: which local changes the server has not acknowledged yet.

One row per synced record (kind, record_id). `version` is the record's change counter, raised
by `enqueue` in the same transaction as the change itself, so no crash can leave a change
without its entry. The worker reads the record as it is now, pushes it, and raises
`acked_version` only for what the server acknowledged; a row is pending while
`version > acked_version` (and the server has not refused that version).

Functions take the connection they work on: the card writes through its own, the sync worker
through another (each thread has its own sqlite connection).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .database import Database

BATCH_LIMIT = 500  # records per push, the server's limit too

# kind -> (table, the column the change is keyed by)
_SOURCES = {"call": ("calls", "id"), "note": ("notes", "call_id"), "qa_review": ("qa_reviews", "id"),
            "block_proposal": ("blocklist", "id")}
NOTE_FIELDS = ("call_id", "text", "created_at", "updated_at")
PROPOSAL_FIELDS = ("number", "scope", "reason", "status", "call_id", "created_at", "updated_at")
# Columns of `calls` kept on the agent's machine only (the server's wire format has no field for them).
LOCAL_CALL_COLUMNS = ("times_reconstructed",)


@contextlib.contextmanager
def write_transaction(db: Database):
    """`db.atomic()`, but holding the write lock from BEGIN (IMMEDIATE).

    Two connections write this file: the card's and the sync worker's. A deferred transaction
    that reads before it writes (sqlite-utils' upsert reads the table's columns first) fails at
    once with "database is locked" when the other connection commits in between; an immediate
    one waits its turn within the busy timeout instead.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    record_id: str
    version: int


def enqueue(db: Database, kind: str, key: str, now: str) -> None:
    """Count one change of a record and queue it. Call inside the change's own `write_transaction`."""
    table, column = _SOURCES[kind]
    cursor = db.execute(f"UPDATE {table} SET version = version + 1 WHERE {column} = ? RETURNING id, version",
                        [key])
    record_id, version = cursor.fetchone()
    db.execute(
        "INSERT INTO outbox (kind, record_id, version, queued_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (kind, record_id) DO UPDATE SET version = excluded.version,"
        " queued_at = excluded.queued_at, rejected = NULL, held_for = NULL",
        [kind, record_id, version, now],
    )


def pending(db: Database, limit: int = BATCH_LIMIT, after_seq: int = 0) -> list[Entry]:
    rows = db.execute(
        "SELECT seq, kind, record_id, version FROM outbox"
        " WHERE version > acked_version AND rejected IS NULL AND seq > ? ORDER BY seq LIMIT ?",
        [after_seq, limit]).fetchall()
    return [Entry(*row) for row in rows]


def pending_count(db: Database) -> int:
    return db.execute(
        "SELECT count(*) FROM outbox WHERE version > acked_version AND rejected IS NULL").fetchone()[0]


def rejected_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM outbox WHERE rejected IS NOT NULL").fetchone()[0]


def records(db: Database, entries: Iterable[Entry]) -> list[dict]:
    """The push records for `entries`, read as the rows are now (their version may be newer)."""
    out = []
    for entry in entries:
        if entry.kind == "call":
            row = db.execute("SELECT * FROM calls WHERE id = ?", [entry.record_id])
        elif entry.kind == "note":
            row = db.execute("SELECT * FROM notes WHERE id = ?", [entry.record_id])
        elif entry.kind == "qa_review":
            row = db.execute("SELECT * FROM qa_reviews WHERE id = ?", [entry.record_id])
        elif entry.kind == "block_proposal":
            row = db.execute("SELECT *, proposed_by AS agent_id FROM blocklist WHERE id = ?", [entry.record_id])
        else:
            continue
        names = [d[0] for d in row.description]
        values = row.fetchone()
        if values is None:
            continue
        data = dict(zip(names, values))
        version = data.pop("version")
        if entry.kind == "note":
            data = {k: data[k] for k in NOTE_FIELDS}
        elif entry.kind == "qa_review":
            data["answers"] = json.loads(data["answers"])
        elif entry.kind == "block_proposal":     # what a card may say: the proposal, as it was made
            data = {k: data[k] for k in PROPOSAL_FIELDS + (("agent_id",) if data["agent_id"] else ())}
            data["status"] = "proposed"
        elif entry.kind == "call":
            for name in LOCAL_CALL_COLUMNS:
                data.pop(name, None)
        out.append({"kind": entry.kind, "id": entry.record_id, "version": version, "data": data})
    return out


def mark_acked(db: Database, acked: Iterable[tuple[str, str, int]], now: str) -> int:
    """Record the server's acknowledgements; one short transaction. Returns how many rows moved."""
    moved = 0
    with write_transaction(db):
        for kind, record_id, version in acked:
            moved += db.execute(
                "UPDATE outbox SET acked_version = ?, acked_at = ?"
                " WHERE kind = ? AND record_id = ? AND acked_version < ? AND ? <= version",
                [version, now, kind, record_id, version, version]).rowcount
    return moved


def mark_rejected(db: Database, kind: str, record_id: str, version: int, why: str) -> None:
    """The server refused this version (422): keep it, stop sending it until the record changes."""
    db.execute("UPDATE outbox SET rejected = ? WHERE kind = ? AND record_id = ? AND version = ?",
               [why[:500], kind, record_id, version])


def mark_held(db: Database, kind: str, record_id: str, version: int, why: str, held_for: str) -> None:
    """Only another version can take this one: the card's (`held_for` = "card <its version>") or the
    server's ("server <its version>"). Kept, not sent, until that version changes (release_held)."""
    db.execute("UPDATE outbox SET rejected = ?, held_for = ? WHERE kind = ? AND record_id = ? AND version = ?",
               [why[:500], held_for, kind, record_id, version])


def release_held(db: Database, card_version: str, server_version: str) -> int:
    """Queue again what was held for an upgrade that has happened since (the card or the server now
    says another version). Returns how many entries are pending again."""
    return db.execute("UPDATE outbox SET rejected = NULL, held_for = NULL"
                      " WHERE held_for IS NOT NULL AND held_for NOT IN (?, ?)",
                      ["card " + card_version, "server " + server_version]).rowcount


def held_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM outbox WHERE held_for IS NOT NULL").fetchone()[0]


def resend_all(db: Database) -> int:
    """Queue every record again (the server lost what it had acknowledged)."""
    with write_transaction(db):
        return db.execute("UPDATE outbox SET acked_version = 0, acked_at = NULL, rejected = NULL,"
                          " held_for = NULL").rowcount


# ----- sync_meta: the device id, pull cursors, what the server said about us ------------------
def meta(db: Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM sync_meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(db: Database, key: str, value: str) -> None:
    db.execute("INSERT INTO sync_meta (key, value) VALUES (?, ?)"
               " ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])


def device_id(db: Database) -> str:
    return meta(db, "device_id")
