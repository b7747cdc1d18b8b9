"""QA review data on the reviewer's PC: pulled batches (with their calls as drawn) and the
reviewer's own reviews, which sync through the outbox like calls and notes.

A batch is the server's record: the card keeps the copy it pulled, with the sampled calls' facts
and notes as they were when the batch was drawn, so the review window works offline. A review is
the reviewer's own record (`qa_review` in the outbox); saving one and queueing it is one
transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.qa_form import Form
from . import outbox
from .db import migration

if TYPE_CHECKING:
    from .database import Database


@migration("qa_0001_batches_and_reviews")   # named apart from db.py's numbered ones
def _qa_m0001(db: Database) -> None:
    db.execute("""
        CREATE TABLE qa_batches (              -- pulled from the server; the server's record
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            purpose TEXT NOT NULL CHECK (purpose IN ('problems','techniques')),
            filters TEXT NOT NULL,             -- JSON (core.qa_sample.Filters)
            size INTEGER NOT NULL,
            seed TEXT NOT NULL,
            form_name TEXT NOT NULL,
            form_version INTEGER NOT NULL,
            form_fingerprint TEXT NOT NULL,
            form_source TEXT NOT NULL,         -- the form's TOML as the batch locked it
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            pulled_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE qa_batch_calls (
            batch_id TEXT NOT NULL REFERENCES qa_batches(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            call_id TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            call TEXT NOT NULL,                -- JSON: the call's row when the batch was drawn
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (batch_id, position)
        )""")
    db.execute("""
        CREATE TABLE qa_reviews (              -- the reviewer's own records (outbox kind qa_review)
            id TEXT PRIMARY KEY,
            batch_id TEXT NOT NULL,
            call_id TEXT NOT NULL,
            agent_id TEXT NOT NULL,            -- whose call was reviewed
            reviewer_id TEXT NOT NULL,
            form_name TEXT NOT NULL,
            form_version INTEGER NOT NULL,
            form_fingerprint TEXT NOT NULL,
            answers TEXT NOT NULL,             -- JSON, checked against the form
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,
            UNIQUE (batch_id, call_id)
        )""")
    # the agent's one click in the wrap-up: the policy did not fit this call (a preset reason key)
    db.execute("ALTER TABLE calls ADD COLUMN policy_misfit TEXT")


@migration("qa_0002_recording_uploads")
def _qa_m0002(db: Database) -> None:
    db.execute("""
        CREATE TABLE recording_uploads (       -- the agent's PC: which calls' recordings went to the server
            call_id TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('uploaded','none','too_large')),
            detail TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        )""")


def calls_to_upload(db: Database, limit: int = 50) -> list[dict]:
    """Answered, ended calls whose recording has not been uploaded or found missing yet (oldest first)."""
    rows = db.execute("""SELECT c.* FROM calls c LEFT JOIN recording_uploads u ON u.call_id = c.id
                         WHERE u.call_id IS NULL AND c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL
                         ORDER BY c.started_at LIMIT ?""", [limit])
    names = [d[0] for d in rows.description]
    return [dict(zip(names, values)) for values in rows.fetchall()]


def mark_upload(db: Database, call_id: str, state: str, detail: str, now: str) -> None:
    with outbox.write_transaction(db):
        db.execute("INSERT OR REPLACE INTO recording_uploads (call_id, state, detail, at) VALUES (?, ?, ?, ?)",
                   [call_id, state, detail, now])


REVIEW_FIELDS = ("id", "batch_id", "call_id", "agent_id", "reviewer_id", "form_name", "form_version",
                 "form_fingerprint", "answers", "created_at", "updated_at")


@dataclass(frozen=True)
class BatchCall:
    position: int
    call_id: str
    agent_id: str
    outcome: str
    call: dict
    note: str


def save_batch(db: Database, batch: dict, now: str) -> None:
    """Keep a pulled batch (the server's JSON, `server/domain/qa.py`), replacing an older copy."""
    with outbox.write_transaction(db):
        db.execute("DELETE FROM qa_batch_calls WHERE batch_id = ?", [batch["id"]])
        db.execute("DELETE FROM qa_batches WHERE id = ?", [batch["id"]])
        db.execute("""INSERT INTO qa_batches (id, version, purpose, filters, size, seed, form_name, form_version,
                          form_fingerprint, form_source, created_by, created_at, pulled_at)
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                   [batch["id"], batch["version"], batch["purpose"], json.dumps(batch["filters"]), batch["size"],
                    str(batch["seed"]), batch["form"]["name"], batch["form"]["version"],
                    batch["form"]["fingerprint"], batch["form"]["source"], batch["created_by"],
                    batch["created_at"], now])
        for item in batch["calls"]:
            db.execute("""INSERT INTO qa_batch_calls (batch_id, position, call_id, agent_id, outcome, call, note)
                          VALUES (?, ?, ?, ?, ?, ?, ?)""",
                       [batch["id"], item["position"], item["call_id"], item["agent_id"], item["outcome"],
                        json.dumps(item["call"]), item.get("note") or ""])


def batch(db: Database, batch_id: str) -> dict | None:
    row = db.execute("SELECT * FROM qa_batches WHERE id = ?", [batch_id])
    names = [d[0] for d in row.description]
    values = row.fetchone()
    if values is None:
        return None
    found = dict(zip(names, values))
    found["filters"] = json.loads(found["filters"])
    return found


def batches(db: Database) -> list[dict]:
    rows = db.execute("SELECT id FROM qa_batches ORDER BY created_at DESC").fetchall()
    return [batch(db, r[0]) for r in rows]


def batch_calls(db: Database, batch_id: str) -> list[BatchCall]:
    rows = db.execute("""SELECT position, call_id, agent_id, outcome, call, note FROM qa_batch_calls
                         WHERE batch_id = ? ORDER BY position""", [batch_id]).fetchall()
    return [BatchCall(p, c, a, o, json.loads(call), note) for p, c, a, o, call, note in rows]


def reviews(db: Database, batch_id: str) -> dict[str, dict]:
    """The reviews of a batch made on this PC, by call id."""
    rows = db.execute("SELECT * FROM qa_reviews WHERE batch_id = ?", [batch_id])
    names = [d[0] for d in rows.description]
    out = {}
    for values in rows.fetchall():
        review = dict(zip(names, values))
        review["answers"] = json.loads(review["answers"])
        out[review["call_id"]] = review
    return out


def save_review(db: Database, batch_id: str, call: BatchCall, form: Form, reviewer_id: str, answers: dict,
                now: str) -> str:
    """Check the answers against the batch's form, save the review and queue it, in one transaction.
    Returns the review's id (the same id when the reviewer changes a review)."""
    clean = form.check_answers(answers)     # FormError: nothing is saved
    with outbox.write_transaction(db):
        row = db.execute("SELECT id, created_at FROM qa_reviews WHERE batch_id = ? AND call_id = ?",
                         [batch_id, call.call_id]).fetchone()
        review_id, created = row if row else (str(uuid.uuid4()), now)
        db.execute("""INSERT INTO qa_reviews (id, batch_id, call_id, agent_id, reviewer_id, form_name, form_version,
                          form_fingerprint, answers, created_at, updated_at)
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                      ON CONFLICT (id) DO UPDATE SET answers = excluded.answers, updated_at = excluded.updated_at,
                          reviewer_id = excluded.reviewer_id""",
                   [review_id, batch_id, call.call_id, call.agent_id, reviewer_id, form.name, form.version,
                    form.fingerprint, json.dumps(clean, ensure_ascii=False), created, now])
        outbox.enqueue(db, "qa_review", review_id, now)
    return review_id
