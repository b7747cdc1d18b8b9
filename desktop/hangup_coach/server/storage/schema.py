"""The server database's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Every pushed record is one row of `records`, keyed by (kind, id), holding its newest version as
JSON plus the few columns the server queries by (number, start time, team).
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("applied_at", String(40), nullable=False),
)
devices = Table(
    "devices", metadata,
    Column("id", String(64), primary_key=True),
    Column("agent_id", String(64), nullable=False),
    Column("role", String(10), nullable=False),
    Column("team", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),   # sha256 hex; the token is never kept
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
)
counters = Table(
    "counters", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
records = Table(
    "records", metadata,
    Column("kind", String(20), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("agent_id", String(64), nullable=False),      # whose record it is
    Column("team", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),     # which device last changed it
    Column("received_at", String(40), nullable=False),   # server clock
    Column("number", String(16)),                        # E.164 of a call or block proposal
    Column("started_at", String(40)),                    # a call's start, canonical UTC text
    Column("call_id", String(64)),                       # a note's or review's call
    Column("data", Text, nullable=False),                # the record's fields as JSON
)
cases = Table(
    "cases", metadata,                                   # the centre's case facts per number (cases.py)
    Column("number", String(16), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("closed_at", String(40)),                     # canonical UTC text; NULL while open
    Column("branch_only", Integer, nullable=False),      # 0/1
    Column("seq", BigInteger, nullable=False, unique=True),   # from the records' counter: pulls see it
    Column("updated_at", String(40), nullable=False),    # server clock
    Column("updated_by", String(64), nullable=False),    # device id, or "import" from the command line
)
Index("idx_records_number", records.c.number, records.c.started_at)
Index("idx_records_team_seq", records.c.team, records.c.seq)


# Versioned migrations, applied in order at start-up (under the write lock, so two server processes
# starting together on one PostgreSQL do not both apply them).
def _m1_initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=[devices, counters, records])
    conn.execute(counters.insert().values(name="seq", value=0))


def _m2_cases(conn: Connection) -> None:
    cases.create(conn)


def _m3_blocklist(conn: Connection) -> None:
    from .blocklist_tables import migrate   # the blocklist's own tables (issue 17)
    migrate(conn)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial", _m1_initial),
    (2, "cases", _m2_cases),
    (3, "blocklist", _m3_blocklist),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
