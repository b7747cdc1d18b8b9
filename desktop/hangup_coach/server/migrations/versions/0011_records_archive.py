"""The archive of the cards' raw evidence past the retention window (storage/archive.py,
domain/retention.py), and an index to find what is old in `records`."""

import sqlalchemy as sa
from alembic import op

revision = "0011_records_archive"
down_revision = "0010_device_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records_archive",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("tx", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False, server_default="default"),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("number", sa.String(16)),
        sa.Column("started_at", sa.String(40)),
        sa.Column("call_id", sa.String(64)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("archived_at", sa.String(40), nullable=False),
    )
    op.create_index("idx_records_archive_started", "records_archive", ["kind", "started_at"])
    op.create_index("idx_records_received", "records", ["received_at"])


def downgrade() -> None:
    op.drop_index("idx_records_received", "records")
    op.drop_index("idx_records_archive_started", "records_archive")
    op.drop_table("records_archive")
