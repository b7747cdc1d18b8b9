"""Opening the local SQLite file: WAL, durable commits, versioned migrations.

The schema is part of the product's interface (README, "Local database"): a team lead can
open the file with `sqlite-utils` or Datasette. Change it only by adding a migration.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

# sqlite-utils is imported when the database is opened, not with this module: its import
# (~150 ms: click, dateutil, pluggy) would otherwise sit between launch and the card appearing.
MIGRATIONS = []  # (name, function), applied in this order


def migration(name: str):
    def register(fn):
        MIGRATIONS.append((name, fn))
        return fn
    return register


@functools.cache
def _migrations():
    from sqlite_utils.migrations import Migrations

    migrations = Migrations("hangup_coach")
    for name, fn in MIGRATIONS:
        migrations(name=name)(fn)
    return migrations


class StoreError(RuntimeError):
    """The local database cannot be used; the message says which file and why."""


@migration("0001_calls_and_notes")
def _m0001(db: Database) -> None:
    db.execute("""
        CREATE TABLE calls (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL DEFAULT '',
            caller_number TEXT,                -- E.164, NULL when withheld or unreadable
            caller_raw TEXT NOT NULL DEFAULT '',
            line_call_id TEXT,                 -- the softphone's correlation key
            started_at TEXT NOT NULL,          -- UTC ISO-8601
            answered_at TEXT,
            ended_at TEXT,
            ended_by TEXT CHECK (ended_by IN ('agent','customer','system','unknown')),
            close_reason TEXT NOT NULL DEFAULT '',
            caller_class TEXT NOT NULL CHECK (caller_class IN ('regular','no_value','non_regular','unknown')),
            sub_reason TEXT NOT NULL DEFAULT '',
            class_reason TEXT NOT NULL DEFAULT '',
            class_reason_key TEXT NOT NULL DEFAULT '',
            class_source TEXT NOT NULL DEFAULT 'auto' CHECK (class_source IN ('auto','agent')),
            explanations INTEGER NOT NULL DEFAULT 0,
            warnings INTEGER NOT NULL DEFAULT 0,
            closure_confirmed_at TEXT,
            hangup_allowed_at TEXT,
            hangup_prompted_at TEXT,
            customer_hung_up_in_grace INTEGER NOT NULL DEFAULT 0,
            agent_ended_early INTEGER NOT NULL DEFAULT 0,
            disposition TEXT,
            wrapped_up_at TEXT,
            updated_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_calls_number_started ON calls (caller_number, started_at)")
    db.execute("CREATE INDEX idx_calls_started ON calls (started_at)")
    db.execute("CREATE INDEX idx_calls_open ON calls (ended_at) WHERE ended_at IS NULL OR wrapped_up_at IS NULL")
    db.execute("""
        CREATE TABLE notes (
            id TEXT PRIMARY KEY,
            call_id TEXT NOT NULL UNIQUE REFERENCES calls(id),
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")


@migration("0002_profiles_and_blocklist")
def _m0002(db: Database) -> None:
    db.execute("""
        CREATE TABLE caller_profiles (
            number TEXT PRIMARY KEY,           -- E.164
            case_id TEXT,
            case_closed_at TEXT,               -- set when the complaint has a final result
            branch_only INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE blocklist (
            id TEXT PRIMARY KEY,
            number TEXT NOT NULL,
            scope TEXT NOT NULL CHECK (scope IN ('day','week','month','permanent','until')),
            reason TEXT NOT NULL,
            decided_by TEXT NOT NULL DEFAULT '',
            operated_by TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ('proposed','active','expired','revoked')),
            created_at TEXT NOT NULL,
            expires_at TEXT,
            review_at TEXT
        )""")
    db.execute("CREATE INDEX idx_blocklist_number ON blocklist (number, status)")


@migration("0003_open_calls_index")
def _m0003(db: Database) -> None:
    # 0001's partial index was on ended_at, which "ORDER BY started_at" could not use: finding the
    # open calls at start-up scanned the whole table (0.5 s per 200,000 calls).
    db.execute("DROP INDEX idx_calls_open")
    db.execute("CREATE INDEX idx_calls_open ON calls (started_at) WHERE ended_at IS NULL OR wrapped_up_at IS NULL")



@migration("0005_sync_outbox")
def _m0005(db: Database) -> None:
    # Sync (issue 11). The server's clock and sequence order changes; locally a record only
    # carries a change counter (`version`, +1 per saved change) and the outbox says which
    # versions the server has not acknowledged yet. See store/outbox.py.
    db.execute("ALTER TABLE calls ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE notes ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE blocklist ADD COLUMN updated_at TEXT")
    db.execute("UPDATE blocklist SET updated_at = created_at")
    db.execute("CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO sync_meta (key, value) VALUES ('device_id', ?)", [str(uuid.uuid4())])
    db.execute("""
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- push order: first queued first
            kind TEXT NOT NULL CHECK (kind IN ('call','note','qa_review','block_proposal')),
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,               -- latest local version queued
            acked_version INTEGER NOT NULL DEFAULT 0,  -- highest version the server acknowledged
            queued_at TEXT NOT NULL,
            acked_at TEXT,
            rejected TEXT,                          -- the server refused this version (422): why
            UNIQUE (kind, record_id)
        )""")
    db.execute("CREATE INDEX idx_outbox_pending ON outbox (seq) WHERE version > acked_version AND rejected IS NULL")
    # Calls and notes recorded before sync existed are the first backlog.
    db.execute("UPDATE calls SET version = 1")
    db.execute("UPDATE notes SET version = 1")
    db.execute("""INSERT INTO outbox (kind, record_id, version, queued_at)
                  SELECT 'call', id, 1, updated_at FROM calls ORDER BY started_at""")
    db.execute("""INSERT INTO outbox (kind, record_id, version, queued_at)
                  SELECT 'note', id, 1, updated_at FROM notes ORDER BY created_at""")
    # Other agents' calls of the same numbers (caller-profile evidence) and, on a lead's card,
    # the team's full call rows. Never the agent's own open calls: the card reads `calls` only.
    db.execute("""
        CREATE TABLE team_calls (
            call_id TEXT PRIMARY KEY,          -- the calls.id on the agent's own card
            agent_id TEXT NOT NULL DEFAULT '',
            caller_number TEXT,
            started_at TEXT NOT NULL,
            caller_class TEXT NOT NULL,
            sub_reason TEXT NOT NULL DEFAULT '',
            class_source TEXT NOT NULL DEFAULT 'auto',
            warnings INTEGER NOT NULL DEFAULT 0,
            explanations INTEGER NOT NULL DEFAULT 0,
            disposition TEXT,
            -- the rest of the calls columns: filled on a lead's card (team pull), NULL from evidence
            caller_raw TEXT, line_call_id TEXT, answered_at TEXT, ended_at TEXT, ended_by TEXT,
            close_reason TEXT, class_reason TEXT, class_reason_key TEXT, closure_confirmed_at TEXT,
            hangup_allowed_at TEXT, hangup_prompted_at TEXT, customer_hung_up_in_grace INTEGER,
            agent_ended_early INTEGER, wrapped_up_at TEXT, version INTEGER,
            updated_at TEXT NOT NULL           -- when this copy was last pulled or changed
        )""")
    db.execute("CREATE INDEX idx_team_calls_number_started ON team_calls (caller_number, started_at)")
    db.execute("""
        CREATE TABLE team_notes (
            id TEXT PRIMARY KEY,
            call_id TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0
        )""")
    # Blocklist audit: every insert and change is recorded, and the audit itself cannot be
    # edited or deleted (the triggers refuse).
    db.execute("""
        CREATE TABLE blocklist_audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            blocklist_id TEXT NOT NULL,
            number TEXT NOT NULL,
            action TEXT NOT NULL,       -- insert | update
            scope TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            decided_by TEXT NOT NULL,
            operated_by TEXT NOT NULL,
            expires_at TEXT,
            recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""")
    for action, when in (("insert", "INSERT"), ("update", "UPDATE")):
        db.execute(f"""
            CREATE TRIGGER blocklist_audit_{action} AFTER {when} ON blocklist BEGIN
                INSERT INTO blocklist_audit (blocklist_id, number, action, scope, reason, status,
                                             decided_by, operated_by, expires_at)
                VALUES (new.id, new.number, '{action}', new.scope, new.reason, new.status,
                        new.decided_by, new.operated_by, new.expires_at);
            END""")
    db.execute("""INSERT INTO blocklist_audit (blocklist_id, number, action, scope, reason, status,
                                               decided_by, operated_by, expires_at)
                  SELECT id, number, 'insert', scope, reason, status, decided_by, operated_by, expires_at
                  FROM blocklist""")
    for when in ("UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER blocklist_audit_no_{when.lower()} BEFORE {when} ON blocklist_audit BEGIN
                SELECT RAISE(ABORT, 'blocklist_audit is append-only');
            END""")

@migration("0006_feedback_and_report_indexes")
def _m0006(db: Database) -> None:
    # Satisfaction scores and complaints from outside the app (`hangup-coach import-feedback`),
    # for the before/after comparison around the policy's start (store/feedback.py).
    db.execute("""
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            call_id TEXT,                      -- the call, when the survey names it
            caller_number TEXT,                -- E.164, when it names the number instead
            day TEXT NOT NULL,                 -- YYYY-MM-DD, the centre's local date
            score REAL,
            complaint INTEGER CHECK (complaint IN (0, 1)),
            source TEXT NOT NULL DEFAULT '',   -- file name and line it came from
            imported_at TEXT NOT NULL,
            CHECK (call_id IS NOT NULL OR caller_number IS NOT NULL),
            CHECK (score IS NOT NULL OR complaint IS NOT NULL)
        )""")
    # one row per call (or number and day): importing the same file again replaces, never doubles
    db.execute("CREATE UNIQUE INDEX idx_feedback_key ON feedback (ifnull(call_id, ''), ifnull(caller_number, ''), day)")
    db.execute("CREATE INDEX idx_feedback_day ON feedback (day)")
    # the dashboard's filters: one agent's calls (a lead's file holds the team's), one class's
    db.execute("CREATE INDEX idx_calls_agent_started ON calls (agent_id, started_at)")
    db.execute("CREATE INDEX idx_calls_class_started ON calls (caller_class, started_at)")
    # A year of calls takes seconds to add up, so the report keeps each day's tallies
    # (store/reports.py). Any change to a call marks its UTC day for recomputation: one look-up
    # in a tiny table per write, whoever writes (the card, sync, a lead's script). Not INSERT OR
    # IGNORE: an upsert's conflict handling would override it inside the trigger.
    db.execute("CREATE TABLE report_dirty (utc_day TEXT PRIMARY KEY) WITHOUT ROWID")
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        db.execute(f"""
            CREATE TRIGGER calls_report_dirty_{event.lower()}_{row.lower()} AFTER {event} ON calls BEGIN
                INSERT INTO report_dirty SELECT substr({row}.started_at, 1, 10) WHERE NOT EXISTS
                    (SELECT 1 FROM report_dirty WHERE utc_day = substr({row}.started_at, 1, 10));
            END""")
    db.execute("""
        CREATE TABLE report_days (             -- local days whose cells are up to date
            utc_offset INTEGER NOT NULL, day TEXT NOT NULL, PRIMARY KEY (utc_offset, day)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TABLE report_cells (            -- one (local day, agent, class): core.stats.Tally
            utc_offset INTEGER NOT NULL, day TEXT NOT NULL, agent_id TEXT NOT NULL, caller_class TEXT NOT NULL,
            calls INTEGER, answered INTEGER, agent_ended INTEGER, customer_ended INTEGER, other_ended INTEGER,
            handled INTEGER, handle_seconds REAL, allowed INTEGER, after_allowed_seconds REAL,
            left_in_grace INTEGER, agent_after_prompt INTEGER, agent_before_closure INTEGER,
            agent_in_wait INTEGER, agent_early INTEGER, explanations INTEGER, warnings INTEGER,
            PRIMARY KEY (utc_offset, day, agent_id, caller_class)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TABLE report_counts (           -- answered non-regular / no-value calls by their counts
            utc_offset INTEGER NOT NULL, day TEXT NOT NULL, agent_id TEXT NOT NULL, caller_class TEXT NOT NULL,
            explanations INTEGER NOT NULL, warnings INTEGER NOT NULL, calls INTEGER NOT NULL,
            PRIMARY KEY (utc_offset, day, agent_id, caller_class, explanations, warnings)
        ) WITHOUT ROWID""")

def open_db(path: str | os.PathLike) -> Database:
    """Open (creating if needed) and migrate the database at `path`."""
    from sqlite_utils import Database

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=5.0)
        db = Database(conn)
        db.execute("PRAGMA busy_timeout = 5000")
        db.enable_wal()  # outside any transaction: sqlite-utils 4 raises otherwise
        # NORMAL in WAL: every commit survives a crash or kill -9 of the app, without an fsync on
        # the ring path. Notes raise it to FULL around their own commit (store/calls.py), so a
        # note the card calls "saved" also survives a power cut.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrations().apply(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open the call database {path}: {exc}") from exc
    if os.name == "posix":
        try:
            os.chmod(path, 0o600)  # call notes and numbers are personal data
        except OSError:
            pass
    return db
