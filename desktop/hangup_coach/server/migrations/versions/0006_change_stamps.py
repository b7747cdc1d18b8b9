"""Change stamps without one counter lock (server/storage/changes.py): every pulled table gets a
`tx` column beside its `seq`; on PostgreSQL seqs come from the sequence `change_seq` (carrying on
from the counter) and audit rows take their writer's transaction id by default. Rows already there
keep tx 0, so the cursors given out before stay where they were."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STAMPED = ("records", "cases", "blocks", "audit")


def upgrade() -> None:
    for table in STAMPED:
        # add_column, not batch_alter_table: SQLite adds a column in place (a batch would copy the
        # table and drop the audit's append-only triggers with it).
        op.add_column(table, sa.Column("tx", sa.BigInteger, nullable=False, server_default="0"))
        op.create_index(f"idx_{table}_stamp", table, ["tx", "seq"])
    if op.get_bind().dialect.name == "postgresql":
        last = op.get_bind().execute(sa.text("SELECT value FROM counters WHERE name = 'seq'")).scalar_one()
        op.execute(f"CREATE SEQUENCE change_seq AS bigint START WITH {int(last) + 1}")
        op.execute("ALTER TABLE audit ALTER COLUMN tx SET DEFAULT pg_current_xact_id()::text::bigint")


def downgrade() -> None:
    raise NotImplementedError("revision 0006 is not reversible")
