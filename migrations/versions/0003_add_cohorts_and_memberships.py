"""add cohorts, their stored memberships and the per-run staging of cohort syncs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("source_ref", sa.String(2000), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("next_sync_at", TS, nullable=True),
        sa.Column("last_synced_at", TS, nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cohorts"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_cohorts_connection_id_connections",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("connection_id", "source_ref", name="uq_cohorts_connection_id_source_ref"),
    )
    op.create_index("ix_cohorts_connection_id", "cohorts", ["connection_id"])
    op.create_index("ix_cohorts_next_sync_at", "cohorts", ["next_sync_at"])
    op.create_table(
        "cohort_members",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("member_ref", sa.String(255), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("identities", JSON, nullable=False),
        sa.Column("traits", JSON, nullable=False),
        sa.Column("entered_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cohort_members"),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name="fk_cohort_members_cohort_id_cohorts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name="fk_cohort_members_profile_id_profiles", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("cohort_id", "member_ref", name="uq_cohort_members_cohort_id_member_ref"),
    )
    op.create_index("ix_cohort_members_profile_id", "cohort_members", ["profile_id"])
    op.create_table(
        "cohort_staging",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("member_ref", sa.String(255), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("identities", JSON, nullable=False),
        sa.Column("traits", JSON, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "member_ref", name="pk_cohort_staging"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_cohort_staging_run_id_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name="fk_cohort_staging_cohort_id_cohorts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_cohort_staging_cohort_id", "cohort_staging", ["cohort_id"])


def downgrade() -> None:
    for table in ("cohort_staging", "cohort_members", "cohorts"):
        op.drop_table(table)
