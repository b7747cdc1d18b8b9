"""The blocklist's own tables (issue 17): blocks, their append-only audit, the never-block list.

The tables are made by the Alembic revision migrations/versions/0005_blocklist.py (which also
moves the block proposals pushed before it in). A block is a shared record: changed only by the blocklist's commands (server/domain/blocklist.py),
each change taking a `seq` from the records' counter so the cards' pulls bring it, and each step
writing one `block_audit` row that the database itself refuses to change or delete.
"""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from .schema import metadata

blocks = Table(
    "blocks", metadata,
    Column("id", String(64), primary_key=True),          # the proposal's record id
    Column("number", String(16), nullable=False),        # E.164
    Column("scope", String(10), nullable=False),         # day | week | month | permanent
    Column("reason", String(64), nullable=False),        # a preset key (or "burst")
    Column("status", String(10), nullable=False),        # proposed approved rejected active expired revoked
    Column("team", String(64), nullable=False),          # the proposer's team (a burst: the deciding call's)
    Column("site", String(64), nullable=False, server_default="default"),   # ...and site (revision 0007)
    Column("proposed_by", String(64), nullable=False),   # agent numbers; "system" for the burst rule
    Column("decided_by", String(64), nullable=False, default=""),
    Column("operated_by", String(64), nullable=False, default=""),
    Column("confirmed_by", String(64), nullable=False, default=""),
    Column("automatic", Integer, nullable=False, default=0),
    Column("evidence", Text, nullable=False, default="[]"),   # call ids, JSON
    Column("note", Text, nullable=False, default=""),         # why rejected or revoked
    Column("created_at", String(40), nullable=False),
    Column("decided_at", String(40)),
    Column("activated_at", String(40)),
    Column("expires_at", String(40)),
    Column("review_at", String(40)),
    Column("ended_at", String(40)),
    Column("updated_at", String(40), nullable=False),
    Column("version", BigInteger, nullable=False),        # +1 per change: commands name the version they saw
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("tx", BigInteger, nullable=False, server_default="0"),   # with seq: its change stamp (changes.py)
)
Index("idx_blocks_number", blocks.c.number, blocks.c.status)
Index("idx_blocks_status", blocks.c.status, blocks.c.expires_at)
Index("idx_blocks_stamp", blocks.c.tx, blocks.c.seq)

block_audit = Table(
    "block_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("block_id", String(64), nullable=False),
    Column("number", String(16), nullable=False),
    Column("action", String(20), nullable=False),      # propose approve reject activate revoke review expire burst migrate
    Column("status", String(10), nullable=False),      # the block's status after the step
    Column("actor", String(64), nullable=False),       # agent number, or "system"
    Column("role", String(10), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("note", Text, nullable=False),              # the reason given, if any
    Column("detail", Text, nullable=False),            # the block after the step, JSON
)
Index("idx_block_audit_block", block_audit.c.block_id, block_audit.c.id)

never_block = Table(
    "never_block", metadata,
    Column("number", String(16), primary_key=True),
    Column("note", Text, nullable=False),
    Column("added_by", String(64), nullable=False),
    Column("added_at", String(40), nullable=False),
)


def block_entry(row) -> dict:
    """A block as the API and the cards' pull show it."""
    evidence = json.loads(row["evidence"])
    return {name: row[name] for name in (
        "id", "number", "scope", "reason", "status", "team", "site", "proposed_by", "decided_by", "operated_by",
        "confirmed_by", "note", "created_at", "decided_at", "activated_at", "expires_at", "review_at", "ended_at",
        "updated_at", "version")} | {"automatic": bool(row["automatic"]), "evidence": evidence,
                                     "call_id": evidence[0] if evidence else None}
