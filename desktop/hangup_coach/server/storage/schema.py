"""The server database's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Every pushed record is one row of `records`, keyed by (kind, id), holding its newest version as
JSON plus the few columns the server queries by (number, start time, team, site).

These definitions are what the queries use; the database is built by the Alembic revisions in
server/migrations/versions/, and a test checks that both agree (tests/server/test_migrations.py).
Domain modules (server/domain/) add their tables to `metadata` the same way.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),   # before Alembic; now a fence
    Column("name", String(100), nullable=False),
    Column("applied_at", String(40), nullable=False),
)
devices = Table(
    "devices", metadata,
    Column("id", String(64), primary_key=True),
    Column("agent_id", String(64), nullable=False),
    Column("role", String(10), nullable=False),
    Column("team", String(64), nullable=False),
    Column("site", String(64), nullable=False, server_default="default"),
    Column("token_hash", String(64), nullable=False, unique=True),   # sha256 hex; the token is never kept
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("covers", Text),             # a qa device's further teams, comma-separated, or "*" (permissions)
    Column("token_issued_at", String(40)),                  # tokens.py: when, and until when (NULL: never)
    Column("token_expires_at", String(40)),
    Column("old_token_hash", String(64), unique=True),      # the token a rotation replaced...
    Column("old_token_until", String(40)),                  # ...works until then
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
    Column("tx", BigInteger, nullable=False, server_default="0"),   # with seq: its change stamp (changes.py)
    Column("agent_id", String(64), nullable=False),      # whose record it is
    Column("team", String(64), nullable=False),
    Column("site", String(64), nullable=False, server_default="default"),
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
    Column("seq", BigInteger, nullable=False, unique=True),   # change stamp (changes.py): pulls see it
    Column("tx", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", String(40), nullable=False),    # server clock
    Column("updated_by", String(64), nullable=False),    # device id, or "import" from the command line
)
audit = Table(
    "audit", metadata,                                   # append-only: the database refuses UPDATE/DELETE
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),            # server clock
    Column("device_id", String(64), nullable=False),
    Column("agent_id", String(64), nullable=False),
    Column("role", String(10), nullable=False),
    Column("action", String(64), nullable=False),        # the permission action, e.g. "case.write"
    Column("kind", String(32), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("team", String(64)),                          # where the record belongs; NULL = whole centre
    Column("site", String(64)),
    Column("before", Text),                              # JSON, NULL when created
    Column("after", Text),                               # JSON
    Column("tx", BigInteger, nullable=False, server_default="0"),   # its writer (PostgreSQL: the column's default)
)
Index("idx_audit_site_team", audit.c.site, audit.c.team, audit.c.seq)
Index("idx_records_number", records.c.number, records.c.started_at)
Index("idx_records_team_stamp", records.c.team, records.c.tx, records.c.seq)
Index("idx_records_stamp", records.c.tx, records.c.seq)
Index("idx_records_received", records.c.received_at)             # retention: what is old (0011)
Index("idx_cases_stamp", cases.c.tx, cases.c.seq)
Index("idx_audit_stamp", audit.c.tx, audit.c.seq)
