"""Opening the local SQLite file: WAL, durable commits, versioned migrations.

The schema is part of the product's interface (README, "Local database"): a team lead can
open the file with `sqlite-utils` or Datasette. Change it only by adding a migration.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import tempfile
import uuid
from pathlib import Path

from .database import Database

# The card opens this file through plain sqlite3 (store/database.py). sqlite-utils applies the
# migrations: it is imported only when a migration is pending (a new or upgraded file), not on
# every start of the card.
MIGRATION_SET = "hangup_coach"
MIGRATIONS = []  # (name, function), applied in this order


def migration(name: str):
    def register(fn):
        MIGRATIONS.append((name, fn))
        return fn
    return register


@functools.cache
def _migrations():
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for name, fn in MIGRATIONS:
        migrations(name=name)(fn)
    return migrations


def _migrate(db: Database) -> None:
    """Apply the migrations this file lacks (sqlite-utils' table `_sqlite_migrations` records them)."""
    from . import tallies  # noqa: F401  its migrations: every opener (the card too) keeps the report's tallies

    try:
        applied = {row[0] for row in db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET])}
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        applied = set()
    if any(name not in applied for name, _ in MIGRATIONS):
        utils = db.sqlite_utils()   # first: it loads sqlite-utils without numpy
        _migrations().apply(utils)


class StoreError(RuntimeError):
    """The local database cannot be used; the message says which file and why.

    `kind` says what the agent can do about it (ui/startup_refusal.py words it):
    "not_a_folder", "folder_not_writable", "read_only", "corrupt", "busy", "disk_full", "io",
    "foreign" (another program's database: never changed).
    """

    def __init__(self, message: str, kind: str = "io", path: Path | None = None) -> None:
        super().__init__(message)
        self.kind, self.path = kind, path


SQLITE_HEADER = b"SQLite format 3\x00"
APPLICATION_ID = 0x48436F61   # "HCoa" in the header: a file the card made, not one put in its place
BUSY_TIMEOUT_MS = 100   # the store worker retries a busy write later rather than wait on it
OPEN_BUSY_TIMEOUT_MS = 1000   # the store worker's opening: it reports "busy" and tries again
# Every other connection (sync, reports, tools) waits its turn: a loaded machine can hold the write
# lock for seconds, and a background writer has no agent waiting on it.
BACKGROUND_BUSY_TIMEOUT_MS = 60_000


def problem_kind(exc: BaseException) -> str:
    """What kind of trouble an exception from a write means: a condition of the disk or file that
    every write shares ("busy", "disk_full", "read_only", "corrupt", "io"), or "record" for one
    record the database refused (the records behind it can still be written)."""
    text = str(exc).lower()
    if isinstance(exc, OSError):
        return "disk_full" if getattr(exc, "errno", None) in (28, 27) else "io"   # ENOSPC, EFBIG
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, sqlite3.IntegrityError):
        return "record"
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        return {5: "busy", 6: "busy", 13: "disk_full", 8: "read_only", 11: "corrupt", 26: "corrupt",
                10: "io", 14: "io"}.get(primary, "io")
    for needle, kind in (("locked", "busy"), ("busy", "busy"), ("full", "disk_full"), ("readonly", "read_only"),
                         ("malformed", "corrupt"), ("not a database", "corrupt"), ("decode", "corrupt")):
        if needle in text:
            return kind
    return "io"


def _create_blocklist_audit_triggers(db: Database) -> None:
    """Every insert and update of the local blocklist leaves a row in blocklist_audit (0005 made them;
    0010 rebuilds the table, which drops them, and makes them again)."""
    for action, when in (("insert", "INSERT"), ("update", "UPDATE")):
        db.execute(f"""
            CREATE TRIGGER blocklist_audit_{action} AFTER {when} ON blocklist BEGIN
                INSERT INTO blocklist_audit (blocklist_id, number, action, scope, reason, status,
                                             decided_by, operated_by, expires_at)
                VALUES (new.id, new.number, '{action}', new.scope, new.reason, new.status,
                        new.decided_by, new.operated_by, new.expires_at);
            END""")


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
    _create_blocklist_audit_triggers(db)
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


def open_db(path: str | os.PathLike, check: bool = False,
            busy_timeout_ms: int = BACKGROUND_BUSY_TIMEOUT_MS) -> Database:
    """Open (creating if needed) and migrate the database at `path`.

    With `check` (the app at start-up) it also proves the file is usable before any card says
    "saved": the folder is a writable folder, the file is an SQLite file that passes quick_check,
    and a write can be made. Raises StoreError with a `kind` for each way it cannot work.
    `busy_timeout_ms`: how long a statement waits for another connection's write lock.
    """
    path = Path(path)
    if check:
        _check_place(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # check_same_thread=False: each user keeps it to one thread (the store worker's own, bound
        # to its thread, comes from `connect`)
        conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")   # never on the GUI thread
        _refuse_foreign(conn, path)   # before anything writes: not even the journal mode changes
        db = Database(conn)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = wal")
        # NORMAL in WAL: every commit survives a crash or kill -9 of the app, without an fsync on
        # the ring path. Notes raise it to FULL around their own commit (store/calls.py), so a
        # note the card calls "saved" also survives a power cut.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _keep_private(path)
        if check:
            result = db.execute("PRAGMA quick_check").fetchone()[0]
            if result == "ok" and db.execute("PRAGMA application_id").fetchone()[0] == 0:
                _mark_ours(db)
            if result != "ok":
                conn.close()
                raise StoreError(f"the call database {path} is damaged ({result[:200]})", "corrupt", path)
        _migrate(db)
        if check:
            _prove_writable(db, path)
    except StoreError:
        raise
    except sqlite3.DatabaseError as exc:
        kind = problem_kind(exc)
        raise StoreError(f"cannot open the call database {path}: {exc}", kind, path) from exc
    except OSError as exc:
        raise StoreError(f"cannot open the call database {path}: {exc}", problem_kind(exc), path) from exc
    except Exception as exc:  # anything else reading it (flipped bytes in a text: a decoding error) is damage
        raise StoreError(f"the call database {path} cannot be read ({type(exc).__name__}: {exc})",
                         "corrupt", path) from exc
    _keep_private(path)
    return db


def connect(path: str | os.PathLike, busy_timeout_ms: int, this_thread_only: bool = False) -> Database:
    """Another connection to a file `open_db` has opened, checked and migrated: the per-connection
    settings only (no migration, no journal-mode change: nothing that needs the write lock, which
    another program may hold just now). `this_thread_only`: any use from another thread raises
    (sqlite3.ProgrammingError) instead of racing the owner inside SQLite (the store worker's)."""
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=this_thread_only)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"cannot open the call database {path}: {exc}", problem_kind(exc), Path(path)) from exc
    return Database(conn)


class FollowedDatabase:
    """A background reader's own connection (sync, reports) that follows the card's calls to the
    file they are in now. When the database is deleted or replaced while the card runs, the store
    worker (app/store_worker.py) writes everything back into a new file at the same path, or into
    the card's own file put back there; the next `get()` opens that file instead of reading the lost
    one until a restart. A file at the path that is not the card's is never opened (the store worker
    keeps the calls beside it then, and says where: `path` can be pointed there). One thread only."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.db: Database | None = None
        self._identity: tuple[int, int] | None = None

    def get(self) -> Database:
        identity = _identity(self.path)
        if self.db is None or (identity is not None and identity != self._identity and is_ours(self.path)):
            db = open_db(self.path)
            if self.db is not None:   # the lost file's: the store worker's connection to it outlives this one,
                self.db.conn.close()  # so this close never takes the "-wal" of the file now at the path
            self.db, self._identity = db, _identity(self.path)
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Another program's SQLite database given as the call database (a mistyped --db): refused
    with the path named, closed, never changed. The card's files carry its application_id; an
    unmarked file is the card's if it is empty or holds the card's migrations (earlier versions
    did not mark their files)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    if app_id == 0:
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if not tables or ("_sqlite_migrations" in tables and conn.execute(
                "SELECT 1 FROM _sqlite_migrations WHERE migration_set = 'hangup_coach' LIMIT 1").fetchone()):
            return
    conn.close()
    raise StoreError(f"{path} is another program's SQLite database, not a Hangup Coach call database;"
                     " it was left as it is. Give the card a file of its own with --db.", "foreign", path)


def _mark_ours(db: Database) -> None:
    """The card's mark in the header; another program holding the write lock: next time."""
    try:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except sqlite3.OperationalError as exc:
        if problem_kind(exc) != "busy":
            raise


FSTAB = Path("/etc/fstab")   # the drives and shares this machine mounts (Linux)


def _drive_not_mounted(path: Path) -> Path | None:
    """A mount point of /etc/fstab on the way to `path` that is not mounted now (a network share
    that did not come up, a drive not plugged in): the file under it would be made, or read, in
    the folder the drive leaves, on another disk."""
    try:
        lines = FSTAB.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    expected = set()
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and not fields[0].startswith("#") and fields[1].startswith("/") and fields[1] != "/":
            expected.add(Path(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[1])))   # \040: a space
    for folder in (path.parent, *path.parent.parents):
        if folder in expected and not os.path.ismount(folder):
            return folder
    return None


def is_ours(path: Path) -> bool:
    """The file at `path` is a call database the card made (its header says so)."""
    try:
        with open(path, "rb") as f:
            header = f.read(72)
    except OSError:
        return False
    return header[:16] == SQLITE_HEADER and int.from_bytes(header[68:72], "big") == APPLICATION_ID


def _check_place(path: Path) -> None:
    drive = _drive_not_mounted(Path(os.path.abspath(path)))
    if drive is not None:
        raise StoreError(f"the drive of the call database {path} is not mounted at {drive}: a new database"
                         " there would be on another disk", "unmounted", path)
    for parent in (path.parent, *path.parent.parents):
        if parent.exists():
            if not parent.is_dir():
                raise StoreError(f"{parent} is a file, not a folder: the call database {path} cannot be made there",
                                 "not_a_folder", path)
            break
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a call database file", "not_a_folder", path)
    if path.parent.is_dir():
        try:   # the file and its -wal and -shm are made in this folder
            tempfile.TemporaryFile(dir=path.parent).close()
        except OSError as exc:
            raise StoreError(f"the folder {path.parent} cannot be written to ({exc.strerror})",
                             "folder_not_writable", path) from exc
    if path.is_file() and path.stat().st_size > 0:
        try:
            with open(path, "rb") as f:
                header = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StoreError(f"cannot read the call database {path}: {exc}", "io", path) from exc
        if header != SQLITE_HEADER:
            raise StoreError(f"{path} is not an SQLite database (its first bytes are {header[:16]!r})", "corrupt", path)
        # Opened for writing: root too is refused an immutable file or a read-only mount. Only here,
        # before SQLite opens it: closing any other handle on the file would drop SQLite's POSIX locks
        # in this process, and another program could then delete the WAL under our connection.
        try:
            with open(path, "r+b"):
                pass
        except OSError as exc:
            raise StoreError(f"the call database {path} cannot be written to ({exc.strerror})",
                             "read_only", path) from exc


def _prove_writable(db: Database, path: Path) -> None:
    """A read-only file or folder fails here, not during the shift: SQLite makes a write that is
    rolled back. If another program holds the write lock just now, the file is writable all the
    same: the card starts, and the store worker saves once the lock is released."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if problem_kind(exc) == "busy":
            return
        raise
    try:
        db.execute("CREATE TABLE _hangup_coach_write_probe (x)")
    finally:
        db.execute("ROLLBACK")


def _keep_private(path: Path) -> None:
    """Call notes and numbers are personal data: the file and its -wal/-shm are the owner's only."""
    if os.name != "posix":
        return
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            os.chmod(name, 0o600)
        except OSError:
            pass


def set_aside(path: Path, stamp: str) -> Path:
    """Move a damaged database (and its -wal and -shm) out of the way, never deleting it:
    `calls.db` → `calls.db.damaged-<stamp>`. Returns the new name of the main file."""
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("-wal", "-shm", ""):
        part = Path(f"{path}{suffix}")
        if part.exists():
            os.replace(part, Path(f"{aside}{suffix}"))
    return aside


@migration("0007_team_calls_in_reports")
def _m0007(db: Database) -> None:
    # A lead's figures cover the team (issues 11 and 12): the calls the report reads
    # (`review_calls`) are the file's own `calls` and the team pull's rows of `team_calls`
    # (`team_pull_calls`: version set; the evidence rows pulled with caller profiles have version
    # NULL and only a few columns, and never count), each call once.
    #
    # Once: a team-pull row is never one of the file's own calls. The pull skips those
    # (store/pulled.py), the triggers below refuse them from any writer, and an own call saved
    # later turns its team copy into evidence. So the views need no per-row look-up in `calls`
    # (that look-up made a lead's year of figures 2.5 times slower and the agent list 20 times).
    db.execute("""UPDATE team_calls SET version = NULL
                  WHERE version IS NOT NULL AND call_id IN (SELECT id FROM calls)""")
    for event in ("INSERT", "UPDATE"):
        db.execute(f"""
            CREATE TRIGGER team_calls_never_own_{event.lower()} BEFORE {event} ON team_calls
            WHEN NEW.version IS NOT NULL AND EXISTS (SELECT 1 FROM calls WHERE id = NEW.call_id) BEGIN
                SELECT RAISE(IGNORE);
            END""")
    db.execute("""
        CREATE TRIGGER calls_own_not_team AFTER INSERT ON calls BEGIN
            UPDATE team_calls SET version = NULL WHERE call_id = NEW.id AND version IS NOT NULL;
        END""")
    db.execute("""
        CREATE VIEW team_pull_calls AS
        SELECT call_id AS id, agent_id, caller_number, started_at, answered_at, ended_at, ended_by, caller_class,
               sub_reason, explanations, warnings, closure_confirmed_at, hangup_allowed_at, hangup_prompted_at,
               customer_hung_up_in_grace, agent_ended_early, disposition, version
        FROM team_calls WHERE version IS NOT NULL""")
    columns = ("id, agent_id, caller_number, started_at, answered_at, ended_at, ended_by, caller_class, sub_reason,"
               " explanations, warnings, closure_confirmed_at, hangup_allowed_at, hangup_prompted_at,"
               " customer_hung_up_in_grace, agent_ended_early, disposition, version")
    db.execute(f"CREATE VIEW review_calls AS SELECT {columns} FROM calls UNION ALL SELECT {columns} FROM team_pull_calls")
    # 0006's report indexes, on the team pull's rows only (partial: the view's WHERE implies it)
    for name, indexed in (("started", "started_at"), ("agent_started", "agent_id, started_at"),
                          ("class_started", "caller_class, started_at")):
        db.execute(f"CREATE INDEX idx_team_calls_{name} ON team_calls ({indexed}) WHERE version IS NOT NULL")
    # A team row's change marks its day like a change to `calls` does (0006); evidence rows do not.
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        db.execute(f"""
            CREATE TRIGGER team_calls_report_dirty_{event.lower()}_{row.lower()} AFTER {event} ON team_calls
            WHEN {row}.version IS NOT NULL BEGIN
                INSERT INTO report_dirty SELECT substr({row}.started_at, 1, 10) WHERE NOT EXISTS
                    (SELECT 1 FROM report_dirty WHERE utc_day = substr({row}.started_at, 1, 10));
            END""")
    # the team rows pulled before this migration are missing from the tallies kept so far
    db.execute("""INSERT INTO report_dirty SELECT DISTINCT substr(started_at, 1, 10) FROM team_calls t
                  WHERE version IS NOT NULL AND NOT EXISTS
                      (SELECT 1 FROM report_dirty d WHERE d.utc_day = substr(t.started_at, 1, 10))""")


@migration("0010_blocklist_lifecycle")
def _m0010(db: Database) -> None:
    # The blocklist's lifecycle (issue 17): proposed → approved | rejected → active → expired |
    # revoked, scopes day / week / month / permanent only (the seeds' four). A row with the old
    # scope 'until' gets the shortest scope that covers its span; the change is audited.
    db.execute("""
        CREATE TABLE blocklist_v2 (
            id TEXT PRIMARY KEY,
            number TEXT NOT NULL,
            scope TEXT NOT NULL CHECK (scope IN ('day','week','month','permanent')),
            reason TEXT NOT NULL,
            proposed_by TEXT NOT NULL DEFAULT '',
            decided_by TEXT NOT NULL DEFAULT '',
            operated_by TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ('proposed','approved','rejected','active','expired','revoked')),
            automatic INTEGER NOT NULL DEFAULT 0,
            call_id TEXT,                      -- the call proposed from (the evidence)
            note TEXT NOT NULL DEFAULT '',     -- why it was rejected or revoked
            created_at TEXT NOT NULL,
            expires_at TEXT,
            review_at TEXT,
            ended_at TEXT,
            updated_at TEXT,
            version INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("""
        INSERT INTO blocklist_v2 (id, number, scope, reason, decided_by, operated_by, status, created_at,
                                  expires_at, review_at, updated_at)
        SELECT id, number,
               CASE WHEN scope != 'until' THEN scope
                    WHEN expires_at IS NULL THEN 'permanent'
                    WHEN julianday(expires_at) - julianday(created_at) <= 1.0001 THEN 'day'
                    WHEN julianday(expires_at) - julianday(created_at) <= 7.0001 THEN 'week'
                    WHEN julianday(expires_at) - julianday(created_at) <= 30.0001 THEN 'month'
                    ELSE 'permanent' END,
               reason, decided_by, operated_by, status, created_at, expires_at, review_at, updated_at
        FROM blocklist""")
    db.execute("""INSERT INTO blocklist_audit (blocklist_id, number, action, scope, reason, status,
                                               decided_by, operated_by, expires_at)
                  SELECT n.id, n.number, 'migrate', n.scope, n.reason, n.status, n.decided_by, n.operated_by,
                         n.expires_at
                  FROM blocklist_v2 n JOIN blocklist o ON o.id = n.id WHERE o.scope = 'until'""")
    db.execute("DROP TABLE blocklist")                 # its audit triggers go with it
    db.execute("ALTER TABLE blocklist_v2 RENAME TO blocklist")
    db.execute("CREATE INDEX idx_blocklist_number ON blocklist (number, status)")
    _create_blocklist_audit_triggers(db)


@migration("0011_times_reconstructed")
def _m0011(db: Database) -> None:
    # A call found on the line at (re)connect takes its times from the line's elapsed time; the
    # record says so (issue 20). Local only: store/outbox.py leaves it out of the push.
    db.execute("ALTER TABLE calls ADD COLUMN times_reconstructed INTEGER NOT NULL DEFAULT 0")


@migration("0012_outbox_held_for_upgrade")
def _m0012(db: Database) -> None:
    # Issue 16: a record that only a newer card or a newer server can take is held, not rejected:
    # "card <version>" / "server <version>" that could not send it; queued again when that changes.
    db.execute("ALTER TABLE outbox ADD COLUMN held_for TEXT")


from . import qa  # noqa: E402,F401  (registers the QA tables' migrations, after the ones above)
from . import reports  # noqa: E402,F401  (registers the kept per-hour tallies' migration)
