"""Tokens that expire and rotate (issue 16, storage/tokens.py): when the device's token was issued
and when it stops working (NULL: never), and the token it replaced, which keeps working until
`old_token_until` (a short grace while the device picks up the new one). Existing tokens never
expire."""

import sqlalchemy as sa
from alembic import op

revision = "0010_device_tokens"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("token_issued_at", sa.String(40)))
        batch.add_column(sa.Column("token_expires_at", sa.String(40)))
        batch.add_column(sa.Column("old_token_hash", sa.String(64)))
        batch.add_column(sa.Column("old_token_until", sa.String(40)))
        batch.create_unique_constraint("uq_devices_old_token_hash", ["old_token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_constraint("uq_devices_old_token_hash", type_="unique")
        for name in ("old_token_until", "old_token_hash", "token_expires_at", "token_issued_at"):
            batch.drop_column(name)
