"""add interview results, synthesis calls, codebooks, findings with their history and change events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = (
    "synthesis_calls",
    "finding_changes",
    "finding_points",
    "findings",
    "finding_windows",
    "codebook_themes",
    "interview_results",
)


def upgrade() -> None:
    op.create_table(
        "codebook_themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("signature", JSON, nullable=False),
        sa.Column("synonyms", JSON, nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_codebook_themes_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_codebook_themes"),
        sa.UniqueConstraint("campaign_id", "label", name="uq_codebook_themes_campaign_id_label"),
    )
    op.create_table(
        "finding_windows",
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("interviews", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_finding_windows_recipe_id_recipes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("recipe_id", "period", name="pk_finding_windows"),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("interviews", sa.Integer(), nullable=False),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("sentiment_sum", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("announced_share", sa.Double(), nullable=True),
        sa.Column("quotes", JSON, nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_findings_recipe_id_recipes", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.UniqueConstraint("recipe_id", "period", "theme", name="uq_findings_recipe_id_period_theme"),
    )
    op.create_index("ix_findings_recipe_id_status", "findings", ["recipe_id", "status"], unique=False)
    op.create_table(
        "finding_points",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("interviews", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name="fk_finding_points_finding_id_findings", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_finding_points"),
        sa.UniqueConstraint("finding_id", "day", name="uq_finding_points_finding_id_day"),
    )
    op.create_table(
        "interview_results",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("invite_id", BIGINT, nullable=True),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("recipe_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("event_id", BIGINT, nullable=True),
        sa.Column("unattributed_reason", sa.Text(), nullable=True),
        sa.Column("respondent", JSON, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=False),
        sa.Column("transcript", JSON, nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("synthesis_status", sa.String(length=20), nullable=False),
        sa.Column("synthesis_note", sa.Text(), nullable=True),
        sa.Column("synthesis_attempts", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("themes", JSON, nullable=False),
        sa.Column("sentiment_label", sa.String(length=10), nullable=True),
        sa.Column("sentiment_score", sa.Double(), nullable=True),
        sa.Column("quotes", JSON, nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("quality_reason", sa.Text(), nullable=True),
        sa.Column("qualifying", sa.Boolean(), nullable=True),
        sa.Column("counted_at", TS, nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_creation_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Double(), nullable=False),
        sa.Column("synthesised_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_interview_results_campaign_id_campaigns",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name="fk_interview_results_connection_id_connections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_interview_results_event_id_events", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["invite_id"], ["invites.id"], name="fk_interview_results_invite_id_invites", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_interview_results_profile_id_profiles",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_interview_results_recipe_id_recipes", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_interview_results"),
        sa.UniqueConstraint(
            "connection_id", "external_id", name="uq_interview_results_connection_id_external_id"
        ),
    )
    op.create_index("ix_interview_results_campaign_id", "interview_results", ["campaign_id"], unique=False)
    op.create_index("ix_interview_results_profile_id", "interview_results", ["profile_id"], unique=False)
    op.create_index("ix_interview_results_recipe_id", "interview_results", ["recipe_id"], unique=False)
    op.create_index(
        "ix_interview_results_synthesis_status", "interview_results", ["synthesis_status"], unique=False
    )
    op.create_table(
        "finding_changes",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("share_before", sa.Double(), nullable=True),
        sa.Column("share", sa.Double(), nullable=False),
        sa.Column("interviews", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("result_id", BIGINT, nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("handled_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name="fk_finding_changes_finding_id_findings", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipes.id"], name="fk_finding_changes_recipe_id_recipes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["interview_results.id"],
            name="fk_finding_changes_result_id_interview_results",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_finding_changes"),
    )
    op.create_index("ix_finding_changes_finding_id", "finding_changes", ["finding_id"], unique=False)
    op.create_index("ix_finding_changes_handled_at", "finding_changes", ["handled_at"], unique=False)
    op.create_index("ix_finding_changes_recipe_id", "finding_changes", ["recipe_id"], unique=False)
    op.create_table(
        "synthesis_calls",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("result_id", BIGINT, nullable=True),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_creation_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["interview_results.id"],
            name="fk_synthesis_calls_result_id_interview_results",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_synthesis_calls"),
    )
    op.create_index("ix_synthesis_calls_at", "synthesis_calls", ["at"], unique=False)
    op.create_index("ix_synthesis_calls_result_id", "synthesis_calls", ["result_id"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
