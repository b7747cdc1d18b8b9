"""The QA module's tables (server/domain/qa.py): batches drawn once with their sampled calls, and
the follow-up actions. Written out as domain/qa.py defines them (made by create_all before)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())   # a database where the QA module made them
    if "qa_batches" not in existing:
        op.create_table(
            "qa_batches",
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("version", sa.BigInteger, nullable=False),
            sa.Column("team", sa.String(64), nullable=False),
            sa.Column("purpose", sa.String(20), nullable=False),
            sa.Column("filters", sa.Text, nullable=False),
            sa.Column("size", sa.Integer, nullable=False),
            sa.Column("seed", sa.String(64), nullable=False),
            sa.Column("form_name", sa.String(64), nullable=False),
            sa.Column("form_version", sa.Integer, nullable=False),
            sa.Column("form_fingerprint", sa.String(64), nullable=False),
            sa.Column("form_source", sa.Text, nullable=False),
            sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
        )
    if "qa_batch_calls" not in existing:
        op.create_table(
            "qa_batch_calls",
            sa.Column("batch_id", sa.String(64), primary_key=True),
            sa.Column("position", sa.Integer, primary_key=True),
            sa.Column("call_id", sa.String(64), nullable=False),
            sa.Column("agent_id", sa.String(64), nullable=False),
            sa.Column("outcome", sa.String(40), nullable=False),
            sa.Column("call", sa.Text, nullable=False),
            sa.Column("note", sa.Text, nullable=False),
        )
    if "qa_actions" not in existing:
        op.create_table(
            "qa_actions",
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("version", sa.BigInteger, nullable=False),
            sa.Column("team", sa.String(64), nullable=False),
            sa.Column("batch_id", sa.String(64)),
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("owner", sa.String(64), nullable=False),
            sa.Column("agent_id", sa.String(64)),
            sa.Column("due", sa.String(10), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("figure", sa.String(20), nullable=False),
            sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
            sa.Column("done_at", sa.String(40)),
            sa.Column("updated_at", sa.String(40), nullable=False),
        )
