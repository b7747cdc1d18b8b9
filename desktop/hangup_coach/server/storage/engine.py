"""Connections to the server's database: SQLite (one file, WAL) or PostgreSQL (psycopg 3), and the
write transaction every change runs in.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


POOL_TIMEOUT = 5.0               # seconds a request waits for a free connection, then 503 + Retry-After
STATEMENT_TIMEOUT_MS = 15_000     # PostgreSQL cancels a statement running longer (then 503)
# ...and ends a session left idle inside a transaction this long: an open transaction holds every
# pull's horizon back (changes.py), so a forgotten one must not live on.
IDLE_IN_TRANSACTION_MS = 30_000


def engine_for(database: str, pool_size: int = 15, max_overflow: int = 0, pool_timeout: float = POOL_TIMEOUT,
               statement_timeout_ms: int = STATEMENT_TIMEOUT_MS, idle_in_transaction_ms: int = IDLE_IN_TRANSACTION_MS
               ) -> Engine:
    """`postgresql://user@host:port/db` or a SQLite file path (or `sqlite:///path`)."""
    if database.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        url = "postgresql+psycopg://" + database.split("://", 1)[1]
        # At most 15 connections per server process: 6 workers stay under PostgreSQL's default of 100.
        # All of them kept open: connections beyond a pool's size are closed on return, and under a
        # steady load the server then opened (PostgreSQL forked) one for most requests.
        # A pooled connection is recycled before PostgreSQL's or a proxy's idle timeout can cut it.
        return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout,
                             pool_pre_ping=True, pool_recycle=300, hide_parameters=True,
                             connect_args={"options": f"-c statement_timeout={statement_timeout_ms} "
                                                      f"-c idle_in_transaction_session_timeout={idle_in_transaction_ms}"})
    path = database.removeprefix("sqlite:///")
    engine = create_engine(f"sqlite:///{path}", pool_size=pool_size * 2, max_overflow=max_overflow * 2,
                           pool_timeout=pool_timeout, hide_parameters=True,
                           connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None            # we say BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")     # an acknowledged push survives a power cut
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the write lock at BEGIN, so they queue instead of failing to upgrade a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


class WriteTransaction:
    """Holds the database's write lock until it ends (on PostgreSQL an advisory lock, unless
    `advisory_lock` is false because the transaction locks a row of its own first, as a push does).
    `storage` has `engine`, `dialect` and `sqlite_writers` (this process's queue of SQLite writers)."""

    def __init__(self, storage, advisory_lock: bool) -> None:
        self.storage = storage
        self.advisory_lock = advisory_lock
        self.conn = None

    def __enter__(self) -> Connection:
        if self.storage.sqlite_writers:
            self.storage.sqlite_writers.acquire()
        try:
            self.conn = self.storage.engine.connect().execution_options(write=True)
            self.tx = self.conn.begin()
            if self.advisory_lock:
                serialise(self.conn)
        except BaseException:
            self._end()
            raise
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.tx.commit()
            else:
                self.tx.rollback()
        finally:
            self._end()

    def _end(self) -> None:
        try:
            if self.conn is not None:
                self.conn.close()
        finally:
            if self.storage.sqlite_writers:
                self.storage.sqlite_writers.release()


_PG_LOCK_KEY = 0x48436F616368   # "HCoach": migrations and device changes of this database


def serialise(conn: Connection) -> None:
    """Queue `conn`'s write transaction behind the database's other serialised writers until its end
    (PostgreSQL: an advisory lock; SQLite has one writer at a time anyway). Pushes do not take it,
    unless they change something every writer must see in order (a block proposal)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def reach_clause(column, wanted):
    """A permissions.Reach filter as SQL: the column equals the value, or is one of a tuple of them."""
    return column.in_(wanted) if isinstance(wanted, tuple) else column == wanted
