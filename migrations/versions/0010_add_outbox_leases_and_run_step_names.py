"""add the outbox's claim lease and sent time, and index run steps by name

A worker claims outbox rows under a lease (`claimed_by`, `claimed_until`) so another worker
takes a row over only once the lease ran out; delivery attempts are run steps named after
their row (`outbox:12`), found through the new index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("claimed_until", TS, nullable=True))
        batch.add_column(sa.Column("sent_at", TS, nullable=True))
    op.create_index("ix_run_steps_name", "run_steps", ["name"])


def downgrade() -> None:
    op.drop_index("ix_run_steps_name", table_name="run_steps")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sent_at")
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
