"""The call database over a plain sqlite3 connection: what the card, sync and readers use.

They need three things: `execute`, `query` (rows as dicts) and `atomic` (a transaction, or a
savepoint inside one), with sqlite-utils' semantics: a write made outside a transaction is
committed at once; a failed one leaves no transaction open. Done here in a few lines, the card
does not import sqlite-utils (with click, dateutil, pluggy, tabulate: ~14 MiB of the card's memory
and ~140 ms of its start-up). Any other sqlite-utils method (`table()`, `table_names()` …: tools,
migrations, tests) still works: sqlite-utils is loaded on its first use, over the same connection.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sqlite3
import sys
import threading
from typing import Any, Iterator, Sequence

# Statements that begin or end a transaction themselves (sqlite-utils' list): never auto-committed.
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}
_savepoints = itertools.count(1)


_FIRST_KEYWORD = re.compile(r"(?:\s|;|\ufeff|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z_]*)", re.S)


def _first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased, after blanks and comments."""
    return _FIRST_KEYWORD.match(sql).group(1).upper()


class Database:
    """A sqlite3 connection (`conn`, default transaction handling) with sqlite-utils' core methods."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._utils = None
        # sqlite-utils' Database sets it on every connection it wraps; the schema's triggers were
        # written and tested with it on (a REPLACE's deletes fire the DELETE triggers).
        self.execute("PRAGMA recursive_triggers = on")

    def execute(self, sql: str, parameters: Sequence | dict[str, Any] | None = None) -> sqlite3.Cursor:
        """Run one statement. A write outside a transaction is committed; a failed one rolled back."""
        was_in_transaction = self.conn.in_transaction
        try:
            cursor = self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)
        except Exception:
            if not was_in_transaction and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")   # the implicit transaction the failed write opened
            raise
        if (not was_in_transaction and self.conn.in_transaction and cursor.description is None
                and _first_keyword(sql) not in _TRANSACTION_CONTROL):
            self.conn.execute("COMMIT")         # the implicit transaction the write opened
        return cursor

    def query(self, sql: str, params: Sequence | dict[str, Any] | None = None) -> Iterator[dict]:
        """Rows as dicts: the statement runs now, the rows are fetched as they are iterated."""
        cursor = self.execute(sql, params)
        if cursor.description is None:
            raise ValueError("query() can only be used with SQL that returns rows - use execute()")
        keys = [d[0] for d in cursor.description]
        return (dict(zip(keys, row)) for row in cursor)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction (BEGIN … COMMIT), or a savepoint when one is already open."""
        if self.conn.in_transaction:
            savepoint = f"hangup_coach_{next(_savepoints)}"
            self.conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:   # an error such as RAISE(ROLLBACK) may have ended it
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        self.conn.execute("BEGIN")
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

    def __getattr__(self, name: str):
        """sqlite-utils' other methods (table(), table_names(), …), loaded on first use."""
        if name.startswith("__") or name in ("conn", "_utils"):
            raise AttributeError(name)
        return getattr(self.sqlite_utils(), name)

    def __getitem__(self, table: str):
        return self.sqlite_utils()[table]

    def sqlite_utils(self):
        """sqlite-utils' Database over this connection (for migrations and tools)."""
        if self._utils is None:
            load_sqlite_utils()
            from sqlite_utils import Database as UtilsDatabase

            # No plugins: the call database runs no code some other installed package registers.
            self._utils = UtilsDatabase(self.conn, execute_plugins=False)
        return self._utils


def load_sqlite_utils() -> None:
    """Import sqlite-utils without numpy and pandas. It imports them when they are installed, only
    to map their column types, and the app never hands it their values; pyqtgraph (the dashboard)
    installs numpy, whose import would cost ~120 ms and ~35 MB. Hidden only while sqlite-utils
    loads: the dashboard imports numpy itself later. A thread that imports numpy while another may
    open a database calls this first (the lock: numpy is hidden from every thread)."""
    with _sqlite_utils_lock:
        if "sqlite_utils" in sys.modules:
            return
        hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None   # `import numpy` now raises ImportError
        try:
            import sqlite_utils  # noqa: F401
        finally:
            for name in hidden:
                sys.modules.pop(name, None)


_sqlite_utils_lock = threading.Lock()
