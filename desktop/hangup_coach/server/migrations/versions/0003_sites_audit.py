"""Devices and records belong to a site as well as a team; the append-only audit; and a fence
that makes a server from before Alembic refuse this database instead of misreading it."""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit is append-only"
FENCE = 1000     # above every schema_migrations version a server before Alembic knew (2, then 3)


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("site", sa.String(64), nullable=False, server_default="default"))
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("site", sa.String(64), nullable=False, server_default="default"))
    op.create_table(
        "audit",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),             # the server's clock
        sa.Column("device_id", sa.String(64), nullable=False),      # who: the device, its person and role
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),         # a permission action: "case.write", ...
        sa.Column("kind", sa.String(32), nullable=False),           # what was acted on
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64)),                           # where it belongs (NULL: the whole centre)
        sa.Column("site", sa.String(64)),
        sa.Column("before", sa.Text),                               # JSON; NULL when created
        sa.Column("after", sa.Text),                                # JSON; NULL when deleted
    )
    op.create_index("idx_audit_site_team", "audit", ["site", "team", "seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$")
        op.execute("CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
                   "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
        op.execute("CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    # The fence: servers before Alembic read schema_migrations and refuse a version above theirs.
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("schema_migrations"):
        op.create_table("schema_migrations",
                        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
                        sa.Column("name", sa.String(100), nullable=False),
                        sa.Column("applied_at", sa.String(40), nullable=False))
    fence = sa.table("schema_migrations", sa.column("version"), sa.column("name"), sa.column("applied_at"))
    op.execute(fence.insert().values(version=FENCE, name="alembic (see alembic_version)",
                                     applied_at=datetime.now(timezone.utc).isoformat(timespec="microseconds")))
