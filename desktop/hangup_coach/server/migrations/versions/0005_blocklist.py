"""The blocklist's own tables (server/storage/blocklist_tables.py, issue 17): blocks, their
append-only block_audit, the never-block list; today's block_proposal records move in as blocks,
each with a 'migrate' audit row. Written out here, not read from the live tables."""

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

REASONS = ("harassment", "abuse", "out_of_scope")


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("blocks"):        # made by the blocklist's numbered migration 3, before Alembic
        return
    blocks = op.create_table(
        "blocks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("operated_by", sa.String(64), nullable=False),
        sa.Column("confirmed_by", sa.String(64), nullable=False),
        sa.Column("automatic", sa.Integer, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("decided_at", sa.String(40)),
        sa.Column("activated_at", sa.String(40)),
        sa.Column("expires_at", sa.String(40)),
        sa.Column("review_at", sa.String(40)),
        sa.Column("ended_at", sa.String(40)),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    )
    op.create_index("idx_blocks_number", "blocks", ["number", "status"])
    op.create_index("idx_blocks_status", "blocks", ["status", "expires_at"])
    block_audit = op.create_table(
        "block_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("block_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("idx_block_audit_block", "block_audit", ["block_id", "id"])
    op.create_table(
        "never_block",
        sa.Column("number", sa.String(16), primary_key=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", sa.String(40), nullable=False),
    )
    if bind.dialect.name == "postgresql":
        op.execute("CREATE FUNCTION block_audit_append_only() RETURNS trigger AS $$ "
                   "BEGIN RAISE EXCEPTION 'block_audit is append-only'; END $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER block_audit_append_only BEFORE UPDATE OR DELETE ON block_audit "
                   "FOR EACH ROW EXECUTE FUNCTION block_audit_append_only()")
    else:
        for when in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER block_audit_no_{when.lower()} BEFORE {when} ON block_audit "
                       f"BEGIN SELECT RAISE(ABORT, 'block_audit is append-only'); END")
    records = sa.table("records", *(sa.column(c) for c in (
        "kind", "id", "seq", "agent_id", "team", "device_id", "received_at", "number", "data")))
    moved = bind.execute(sa.select(records).where(records.c.kind == "block_proposal").order_by(records.c.seq))
    for row in moved.mappings().all():
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
        bind.execute(blocks.insert().values(**block))
        bind.execute(block_audit.insert().values(
            block_id=row["id"], number=block["number"], action="migrate", status=status, actor="system",
            role="system", device_id=row["device_id"], at=row["received_at"], note="moved from block_proposal records",
            detail=json.dumps(block, ensure_ascii=False)))


def _scope_of(data: dict) -> str:
    """Today's scopes stay; the old 'until' gets the shortest of the seeds' scopes covering its span."""
    scope = data.get("scope")
    if scope in ("day", "week", "month", "permanent"):
        return scope
    try:
        days = (datetime.fromisoformat(data["expires_at"]) - datetime.fromisoformat(data["created_at"])).days
    except (KeyError, TypeError, ValueError):
        return "permanent"
    return "day" if days <= 1 else "week" if days <= 7 else "month" if days <= 30 else "permanent"
