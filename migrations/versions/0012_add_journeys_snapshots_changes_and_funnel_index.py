"""add journeys, their funnel snapshots and journey-changed events; index events for the funnel

The funnel reads, per stage, the events of one name in a time range and needs only their
profile and time: (name, occurred_at, profile_id) answers that from the index alone (an
index-only scan on PostgreSQL, a covering index on SQLite) and serves every query the
(name, occurred_at) index it replaces did.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("announced", JSON, nullable=False),
        sa.Column("next_snapshot_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journeys"),
    )
    op.create_index("ix_journeys_next_snapshot_at", "journeys", ["next_snapshot_at"])
    op.create_table(
        "journey_snapshots",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.Column("until", TS, nullable=False),
        sa.Column("stages", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journey_snapshots"),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name="fk_journey_snapshots_journey_id_journeys",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_journey_snapshots_journey_id_taken_at", "journey_snapshots", ["journey_id", "taken_at"]
    )
    op.create_table(
        "journey_changes",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", BIGINT, nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("stage_name", sa.String(200), nullable=False),
        sa.Column("next_stage", sa.String(200), nullable=False),
        sa.Column("rate_before", sa.Double(), nullable=False),
        sa.Column("rate", sa.Double(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("handled_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_journey_changes"),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name="fk_journey_changes_journey_id_journeys", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["journey_snapshots.id"],
            name="fk_journey_changes_snapshot_id_journey_snapshots",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_journey_changes_journey_id", "journey_changes", ["journey_id"])
    op.create_index("ix_journey_changes_snapshot_id", "journey_changes", ["snapshot_id"])
    op.create_index("ix_journey_changes_handled_at", "journey_changes", ["handled_at"])
    op.create_index("ix_events_name_occurred_at_profile_id", "events", ["name", "occurred_at", "profile_id"])
    op.drop_index("ix_events_name_occurred_at", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_name_occurred_at", "events", ["name", "occurred_at"])
    op.drop_index("ix_events_name_occurred_at_profile_id", table_name="events")
    op.drop_table("journey_changes")
    op.drop_table("journey_snapshots")
    op.drop_table("journeys")
