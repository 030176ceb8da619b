"""add push deliveries: cohort pushes kept from their answer until a job applies them

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "push_deliveries",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("delivery_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("session", sa.String(255), nullable=True),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("members", JSON, nullable=False),
        sa.Column("occurred_at", TS, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("applied_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_push_deliveries"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_push_deliveries_connection_id_connections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name="fk_push_deliveries_cohort_id_cohorts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_push_deliveries_run_id_runs", ondelete="SET NULL"
        ),
        sa.UniqueConstraint(
            "connection_id", "delivery_key", name="uq_push_deliveries_connection_id_delivery_key"
        ),
    )
    op.create_index("ix_push_deliveries_cohort_id_status", "push_deliveries", ["cohort_id", "status"])


def downgrade() -> None:
    op.drop_table("push_deliveries")
