"""The blocklist's own tables (issue 17): blocks, their append-only audit, the never-block list.

A block is a shared record: changed only by the blocklist's commands (server/domain/blocklist.py),
each change taking a `seq` from the records' counter so the cards' pulls bring it, and each step
writing one `block_audit` row that the database itself refuses to change or delete.
"""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, select, text
from sqlalchemy.engine import Connection

from .schema import metadata, records

blocks = Table(
    "blocks", metadata,
    Column("id", String(64), primary_key=True),          # the proposal's record id
    Column("number", String(16), nullable=False),        # E.164
    Column("scope", String(10), nullable=False),         # day | week | month | permanent
    Column("reason", String(64), nullable=False),        # a preset key (or "burst")
    Column("status", String(10), nullable=False),        # proposed approved rejected active expired revoked
    Column("team", String(64), nullable=False),          # the proposer's team
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
)
Index("idx_blocks_number", blocks.c.number, blocks.c.status)
Index("idx_blocks_status", blocks.c.status, blocks.c.expires_at)

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
        "id", "number", "scope", "reason", "status", "team", "proposed_by", "decided_by", "operated_by",
        "confirmed_by", "note", "created_at", "decided_at", "activated_at", "expires_at", "review_at", "ended_at",
        "updated_at", "version")} | {"automatic": bool(row["automatic"]), "evidence": evidence,
                                     "call_id": evidence[0] if evidence else None}


def _append_only(conn: Connection) -> None:
    """The database refuses UPDATE and DELETE on the audit, whoever asks."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("""
            CREATE FUNCTION block_audit_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'block_audit is append-only'; END $$ LANGUAGE plpgsql"""))
        conn.execute(text("""CREATE TRIGGER block_audit_append_only BEFORE UPDATE OR DELETE ON block_audit
                             FOR EACH ROW EXECUTE FUNCTION block_audit_append_only()"""))
        return
    for when in ("UPDATE", "DELETE"):
        conn.execute(text(f"""CREATE TRIGGER block_audit_no_{when.lower()} BEFORE {when} ON block_audit
                              BEGIN SELECT RAISE(ABORT, 'block_audit is append-only'); END"""))


def _scope_of(data: dict) -> str:
    """Today's scopes stay; the old 'until' gets the shortest of the seeds' scopes covering its span."""
    scope = data.get("scope")
    if scope in ("day", "week", "month", "permanent"):
        return scope
    from datetime import datetime
    try:
        days = (datetime.fromisoformat(data["expires_at"]) - datetime.fromisoformat(data["created_at"])).days
    except (KeyError, TypeError, ValueError):
        return "permanent"
    return "day" if days <= 1 else "week" if days <= 7 else "month" if days <= 30 else "permanent"


REASONS = ("harassment", "abuse", "out_of_scope")


def migrate(conn: Connection) -> None:
    """Create the tables and move today's block proposals (records of kind block_proposal) into
    them, keeping each one's id, number, status and who decided it; one audit row each."""
    metadata.create_all(conn, tables=[blocks, block_audit, never_block])
    _append_only(conn)
    rows = conn.execute(select(records).where(records.c.kind == "block_proposal").order_by(records.c.seq)).mappings()
    for row in rows:
        data = json.loads(row["data"])
        given = str(data.get("reason", ""))
        reason = next((r for r in REASONS if given.startswith(r)), "harassment")
        status = data.get("status") if data.get("status") in ("proposed", "active", "expired", "revoked") else "proposed"
        block = dict(
            id=row["id"], number=row["number"] or data.get("number"), scope=_scope_of(data), reason=reason,
            status=status, team=row["team"], proposed_by=row["agent_id"],
            decided_by=data.get("decided_by") or "", operated_by=data.get("operated_by") or "", confirmed_by="",
            automatic=0, evidence="[]", note=given if given != reason else "", created_at=data.get("created_at"),
            decided_at=None, activated_at=data.get("created_at") if status != "proposed" else None,
            expires_at=data.get("expires_at"), review_at=data.get("review_at"),
            ended_at=None, updated_at=row["received_at"], version=1, seq=row["seq"])
        conn.execute(blocks.insert().values(**block))
        conn.execute(block_audit.insert().values(
            block_id=row["id"], number=block["number"], action="migrate", status=status, actor="system",
            role="system", device_id=row["device_id"], at=row["received_at"], note="moved from block_proposal records",
            detail=json.dumps(block, ensure_ascii=False)))
