"""Blocks get the site they belong to (issue 17): the permission module scopes who sees and decides
which block by team and site. A block made before this takes its proposer's device's site (the
one of the block's team), else the default site."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("blocks", sa.Column("site", sa.String(64), nullable=False, server_default="default"))
    op.execute("UPDATE blocks SET site = COALESCE((SELECT d.site FROM devices d WHERE d.agent_id = blocks.proposed_by"
               " AND d.team = blocks.team ORDER BY d.created_at LIMIT 1), 'default')")


def downgrade() -> None:
    with op.batch_alter_table("blocks") as batch:
        batch.drop_column("site")
