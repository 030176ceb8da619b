"""Migration 0005: provider ids already stored take the connection they came in with."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from hub.migrate import alembic_config

ROWS = """
INSERT INTO connections (id, connector, name, config_encrypted, status, created_at, updated_at)
VALUES (7, 'hubspot', 'portal-a', 'x', 'ok', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
       (9, 'hubspot', 'portal-b', 'x', 'ok', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
       (11, 'tracking', 'web', 'x', 'ok', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO profiles (id, traits, created_at, updated_at)
VALUES (1, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), (2, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, connection_id, external_id, name, profile_id, properties, occurred_at, received_at)
VALUES (1, 11, 'e1', 'seen', 1, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
       (2, 9, 'e2', 'hubspot.contact.creation', 1, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
       (3, 7, 'e3', 'hubspot.contact.creation', 1, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO identities (id, profile_id, kind, value, created_at)
VALUES (1, 1, 'hubspot_contact', '501', CURRENT_TIMESTAMP),
       (2, 1, 'email', 'ada@example.com', CURRENT_TIMESTAMP),
       (3, 2, 'hubspot_contact', '777', CURRENT_TIMESTAMP);
"""


def migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        (command.downgrade if down else command.upgrade)(alembic_config(connection), revision)


def identities(engine: sa.Engine) -> dict[int, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, kind, value FROM identities ORDER BY id"))
        return {row.id: (row.kind, row.value) for row in rows}


def test_stored_provider_ids_are_scoped_by_their_connection_and_back(empty_database_url: str) -> None:
    engine = sa.create_engine(empty_database_url)
    migrate(engine, "0003")
    with engine.begin() as conn:
        for statement in filter(str.strip, ROWS.split(";")):
            conn.execute(sa.text(statement))
    migrate(engine, "0005")
    assert identities(engine) == {
        1: ("hubspot_contact", "9:501"),  # the oldest HubSpot event on its profile came through connection 9
        2: ("email", "ada@example.com"),
        3: ("hubspot_contact", "7:777"),  # no HubSpot event on its profile: the oldest HubSpot connection
    }
    migrate(engine, "0003", down=True)
    assert identities(engine) == {
        1: ("hubspot_contact", "501"),
        2: ("email", "ada@example.com"),
        3: ("hubspot_contact", "777"),
    }
    engine.dispose()
