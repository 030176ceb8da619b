"""add the sweep's watermark, the state a cap claim replaced, and cohort recipes keyed by their cohort

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Recipes triggered by a cohort were found by `event:cohort_entered`, so every cohort event was
weighed against every cohort recipe; they are now found by `cohort_entered:<cohort id>`.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COHORT_TRIGGERS = ("cohort_entered", "cohort_exited")
RECIPES = sa.table(
    "recipes",
    sa.column("id", sa.Integer()),
    sa.column("trigger_key", sa.String()),
    sa.column("definition", sa.JSON()),
)


def upgrade() -> None:
    op.create_table(
        "sweep_marks",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("event_id", BIGINT, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sweep_marks"),
    )
    with op.batch_alter_table("cap_claims") as batch:
        batch.add_column(sa.Column("previous_at", TS, nullable=True))
        batch.add_column(sa.Column("previous_used", sa.Integer(), nullable=True))
    _rekey_cohort_recipes(lambda trigger: f"{trigger['type']}:{trigger['cohort_id']}")


def downgrade() -> None:
    _rekey_cohort_recipes(lambda trigger: f"event:{trigger['type']}")
    with op.batch_alter_table("cap_claims") as batch:
        batch.drop_column("previous_used")
        batch.drop_column("previous_at")
    op.drop_table("sweep_marks")


def _rekey_cohort_recipes(key: Callable[[dict[str, Any]], str]) -> None:
    connection = op.get_bind()
    for recipe_id, definition in connection.execute(sa.select(RECIPES.c.id, RECIPES.c.definition)):
        trigger = (definition or {}).get("trigger") or {}
        if trigger.get("type") in COHORT_TRIGGERS:
            connection.execute(
                sa.update(RECIPES).where(RECIPES.c.id == recipe_id).values(trigger_key=key(trigger))
            )
