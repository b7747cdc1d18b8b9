"""A qa device's scope beyond its team (devices.covers: more teams of its site, or "*"), and the
teams and site a QA batch was drawn from and an action belongs to (issue 18). Batches and actions
made before keep their one team (teams NULL) at the default site."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("covers", sa.Text))
    with op.batch_alter_table("qa_batches") as batch:
        batch.add_column(sa.Column("teams", sa.Text))
        batch.add_column(sa.Column("site", sa.String(64), nullable=False, server_default="default"))
    with op.batch_alter_table("qa_actions") as batch:
        batch.add_column(sa.Column("site", sa.String(64), nullable=False, server_default="default"))


def downgrade() -> None:
    with op.batch_alter_table("qa_actions") as batch:
        batch.drop_column("site")
    with op.batch_alter_table("qa_batches") as batch:
        batch.drop_column("site")
        batch.drop_column("teams")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("covers")
