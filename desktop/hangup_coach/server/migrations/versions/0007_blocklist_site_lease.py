"""Blocks get the site they belong to (issue 17): the permission module scopes who sees and decides
which block by team and site. A block made before this takes its proposer's device's site (the
one of the block's team), else the default site. And `leases` (storage/leases.py): which one of
the server's processes runs a background job (the blocklist's worker, which writes to Kamailio)."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("blocks", sa.Column("site", sa.String(64), nullable=False, server_default="default"))
    op.execute("UPDATE blocks SET site = COALESCE((SELECT d.site FROM devices d WHERE d.agent_id = blocks.proposed_by"
               " AND d.team = blocks.team ORDER BY d.created_at LIMIT 1), 'default')")
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("until", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    with op.batch_alter_table("blocks") as batch:
        batch.drop_column("site")
