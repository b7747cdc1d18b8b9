"""A lead's team pull reads its team's rows in change-stamp order: index (team, tx, seq), in place
of (team, seq), which no query orders by since revision 0006."""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("idx_records_team_stamp", "records", ["team", "tx", "seq"])
    op.drop_index("idx_records_team_seq", "records")


def downgrade() -> None:
    raise NotImplementedError("revision 0009 is not reversible")
