"""scope provider ids that are unique only inside one account by their connection

HubSpot contact 123 in two portals (or two Intercom workspaces, two Salesforce orgs) are two
people. Identities of those kinds now hold `<connection id>:<id>`; existing rows take the
connection of the oldest event of that connector on their profile (every such identity came
in with one), else the oldest connection of that connector.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

KIND_CONNECTOR = {
    "hubspot_contact": "hubspot",
    "intercom_contact": "intercom",
    "salesforce_contact": "salesforce",
    "salesforce_lead": "salesforce",
}
VALUE_LENGTH = 400
"""320 characters of id plus the connection id and its colon."""


def upgrade() -> None:
    with op.batch_alter_table("identities") as batch:
        batch.alter_column(
            "value", type_=sa.String(VALUE_LENGTH), existing_type=sa.String(320), existing_nullable=False
        )
    for kind, connector in KIND_CONNECTOR.items():
        op.execute(
            sa.text(
                """
                UPDATE identities SET value = CAST(COALESCE(
                    (SELECT e.connection_id FROM events e JOIN connections c ON c.id = e.connection_id
                     WHERE e.profile_id = identities.profile_id AND c.connector = :connector
                     ORDER BY e.id LIMIT 1),
                    (SELECT min(c.id) FROM connections c WHERE c.connector = :connector)
                ) AS VARCHAR(20)) || ':' || value
                WHERE kind = :kind
                  AND EXISTS (SELECT 1 FROM connections c WHERE c.connector = :connector)
                """
            ).bindparams(kind=kind, connector=connector)
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, value FROM identities WHERE kind IN :kinds").bindparams(
            sa.bindparam("kinds", expanding=True)
        ),
        {"kinds": list(KIND_CONNECTOR)},
    ).all()
    for row_id, value in rows:
        _, _, unscoped = value.partition(":")
        bind.execute(
            sa.text("UPDATE identities SET value = :v WHERE id = :id"), {"v": unscoped, "id": row_id}
        )
    with op.batch_alter_table("identities") as batch:
        batch.alter_column(
            "value", type_=sa.String(320), existing_type=sa.String(VALUE_LENGTH), existing_nullable=False
        )
