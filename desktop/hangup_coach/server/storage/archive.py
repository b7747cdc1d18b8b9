"""Where the cards' raw evidence goes when it is older than the retention window (issue 16,
domain/retention.py): `records_archive`, the same columns as `records` plus when it was moved.

An archive table rather than PostgreSQL partitions by month: the rows keep their place whatever the
database (SQLite too), nothing is ever dropped, and `records` keeps its primary key and unique
change stamps (a partitioned table needs the partition key in every unique index). The archive is
read only by reports (a year back) and by whoever queries it by hand.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from .schema import metadata

records_archive = Table(
    "records_archive", metadata,
    Column("kind", String(20), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("tx", BigInteger, nullable=False, server_default="0"),
    Column("agent_id", String(64), nullable=False),
    Column("team", String(64), nullable=False),
    Column("site", String(64), nullable=False, server_default="default"),
    Column("device_id", String(64), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("number", String(16)),
    Column("started_at", String(40)),
    Column("call_id", String(64)),
    Column("data", Text, nullable=False),
    Column("archived_at", String(40), nullable=False),   # server clock
)
Index("idx_records_archive_started", records_archive.c.kind, records_archive.c.started_at)
