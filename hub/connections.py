"""Creating connections and reading their settings; secrets leave only through `settings()`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from connectors.registry import get_connector
from connectors.sdk import CheckResult
from hub.credential_cache import credential_cache
from hub.db import db
from hub.models import Connection
from hub.outbound.scrub import SCRUBBER
from hub.secrets import masked, vault


@dataclass
class Created:
    connection: Connection
    generated: dict[str, Any]


def create_connection(connector_name: str, name: str, values: dict[str, Any]) -> Created:
    """Validates against the connector's declaration; raises UnknownConnector or ConfigProblem."""
    connector = get_connector(connector_name)
    config = connector.prepare_config(values)
    generated = connector.generate_settings(config)
    config |= generated
    connection = Connection(connector=connector_name, name=name, config_encrypted=vault().seal(config))
    _set_lookup_key(connection, config)
    db.session.add(connection)
    db.session.flush()
    return Created(connection, generated)


def created_view(created: Created) -> dict[str, Any]:
    """What `connection add` prints: the ids and, this once, the keys that were generated."""
    c = created.connection
    return {"id": c.id, "connector": c.connector, "name": c.name, **created.generated}


def lookup_hash(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def find_by_credential(connector_name: str, credential: str) -> Connection | None:
    """The connection a write key belongs to, found by its hash without decrypting anything.

    Asked on every tracking request, so answered from the app's cache when it can (see
    hub/credential_cache.py); the connection is then attached to this request's session
    without a query, like one it had loaded itself.
    """
    digest = lookup_hash(credential)
    cache = credential_cache(current_app)
    cached = cache.get(connector_name, digest)
    if cached is not None:
        return db.session.merge(cached, load=False)
    generation = cache.generation
    connection = db.session.scalar(
        sa.select(Connection).where(Connection.lookup_key == digest, Connection.connector == connector_name)
    )
    if connection is not None:
        cache.put(connector_name, digest, connection, generation)
    return connection


def connection_id_by_credential(connector_name: str, credential: str) -> int | None:
    """The id alone, which is all the tracking API needs: attaching the cached copy to the
    session (`merge`) was a twentieth of a tracking request's CPU."""
    cached = credential_cache(current_app).get(connector_name, lookup_hash(credential))
    if cached is not None:
        return cached.id
    connection = find_by_credential(connector_name, credential)
    return None if connection is None else connection.id


def settings(connection: Connection) -> dict[str, Any]:
    """Decrypted settings; their secret values are registered with the log scrubber on the way out."""
    spec = get_connector(connection.connector).spec
    values = spec.typed(vault().open(connection.config_encrypted))
    secret_fields = spec.secret_fields
    SCRUBBER.add(*(str(v) for k, v in values.items() if k in secret_fields and v))
    return values


def update_settings(connection: Connection, values: dict[str, Any]) -> None:
    """New settings are how a person fixes a connection, so one parked by its provider resumes."""
    merged = {**settings(connection), **values}
    config = get_connector(connection.connector).prepare_config(merged)
    connection.config_encrypted = vault().seal(config)
    _set_lookup_key(connection, config)
    connection.status, connection.last_error = "ok", None


def _set_lookup_key(connection: Connection, config: dict[str, Any]) -> None:
    """A new write key replaces the old one: the old key stops finding the connection."""
    field = get_connector(connection.connector).spec.lookup_field
    value = config.get(field) if field else None
    connection.lookup_key = lookup_hash(str(value)) if value else None


def check_connection(connection: Connection) -> CheckResult:
    """Asks the provider; a passing check also resumes a connection parked for rejected credentials."""
    result = get_connector(connection.connector).test_connection(settings(connection))
    if result.ok:
        connection.status, connection.last_error = "ok", None
    return result


def public_view(connection: Connection) -> dict[str, Any]:
    """The JSON shape of a connection, secret values masked."""
    secret_fields = get_connector(connection.connector).spec.secret_fields
    return {
        "id": connection.id,
        "connector": connection.connector,
        "name": connection.name,
        "status": connection.status,
        "last_error": connection.last_error,
        "settings": masked(settings(connection), secret_fields),
        "created_at": connection.created_at.isoformat(),
        "updated_at": connection.updated_at.isoformat(),
    }
