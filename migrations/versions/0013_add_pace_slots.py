"""add pace_slots: the next free slot of each paced destination, for the embedded default

Slack takes about one message a second per channel and Linear an hourly budget; every
worker reserves its slot here (one upsert) before a paced action, unless the app runs on
RQ, which keeps the same slots in Redis.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pace_slots",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("next_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_pace_slots"),
    )


def downgrade() -> None:
    op.drop_table("pace_slots")
