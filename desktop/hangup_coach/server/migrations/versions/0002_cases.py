"""The centre's case facts per number (schema_migrations version 2 before Alembic)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("number", sa.String(16), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("closed_at", sa.String(40)),
        sa.Column("branch_only", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
