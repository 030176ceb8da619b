"""add profile merges and the connection lookup key (hashed write keys)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("lookup_key", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_connections_lookup_key", ["lookup_key"])
    op.create_table(
        "profile_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_profile_id", sa.Integer(), nullable=False),
        sa.Column("reason", JSON, nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_profile_merges"),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["profiles.id"],
            name="fk_profile_merges_survivor_id_profiles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_profile_merges_survivor_id", "profile_merges", ["survivor_id"])
    op.create_index("ix_profile_merges_merged_profile_id", "profile_merges", ["merged_profile_id"])


def downgrade() -> None:
    op.drop_table("profile_merges")
    with op.batch_alter_table("connections") as batch:
        batch.drop_constraint("uq_connections_lookup_key", type_="unique")
        batch.drop_column("lookup_key")
