"""add campaigns, versioned recipes, suppression settings, decisions, invites, cap claims and the evaluation ledger

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = (
    "evaluated_events",
    "invites",
    "decisions",
    "recipe_versions",
    "recipes",
    "cap_claims",
    "campaigns",
    "automation_settings",
)


def upgrade() -> None:
    op.create_table(
        "automation_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suppression", JSON, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("per_person_days", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_automation_settings"),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_table(
        "cap_claims",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_cap_claims"),
    )
    op.create_table(
        "recipes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("trigger_key", sa.String(length=300), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_recipes_campaign_id_campaigns"),
        sa.PrimaryKeyConstraint("id", name="pk_recipes"),
    )
    op.create_index("ix_recipes_campaign_id", "recipes", ["campaign_id"], unique=False)
    op.create_index("ix_recipes_trigger_key", "recipes", ["trigger_key"], unique=False)
    op.create_table(
        "decisions",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("event_id", BIGINT, nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("recipe_version", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("retry_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_decisions_event_id_events", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name="fk_decisions_profile_id_profiles", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_decisions_recipe_id_recipes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.UniqueConstraint("event_id", "recipe_id", name="uq_decisions_event_id_recipe_id"),
    )
    op.create_index("ix_decisions_outcome_retry_at", "decisions", ["outcome", "retry_at"], unique=False)
    op.create_index("ix_decisions_profile_id", "decisions", ["profile_id"], unique=False)
    op.create_index("ix_decisions_recipe_id", "decisions", ["recipe_id"], unique=False)
    op.create_table(
        "evaluated_events",
        sa.Column("event_id", BIGINT, nullable=False),
        sa.Column("evaluated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_evaluated_events_event_id_events", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name="pk_evaluated_events"),
    )
    op.create_table(
        "invites",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=True),
        sa.Column("event_id", BIGINT, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_invites_campaign_id_campaigns", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_invites_event_id_events", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name="fk_invites_profile_id_profiles", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_invites_recipe_id_recipes", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invites"),
        sa.UniqueConstraint(
            "profile_id", "campaign_id", "event_id", name="uq_invites_profile_id_campaign_id_event_id"
        ),
    )
    op.create_index("ix_invites_status_due_at", "invites", ["status", "due_at"], unique=False)
    op.create_table(
        "recipe_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_recipe_versions_recipe_id_recipes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recipe_versions"),
        sa.UniqueConstraint("recipe_id", "version", name="uq_recipe_versions_recipe_id_version"),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
