"""The write-key cache: it saves a query per tracking request, and must never answer wrong.

A cached lookup finds only the connection whose key hashes to it, forgets a connection as
soon as its settings change or it is deleted in this process, and sees a change made by
another process (here: a separate engine, invisible to our sessions) within its TTL.
"""

from __future__ import annotations

import base64
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.connections import find_by_credential, lookup_hash, update_settings
from hub.credential_cache import CredentialCache, credential_cache
from hub.db import db
from hub.models import Connection
from tests.inbound.support import add_connection


def found(app: Flask, key: str, connector: str = "tracking") -> int | None:
    with app.app_context():
        connection = find_by_credential(connector, key)
        return None if connection is None else connection.id


def cached(app: Flask, key: str) -> bool:
    return credential_cache(app).get("tracking", lookup_hash(key)) is not None


def track(client: FlaskClient, key: str) -> int:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    response = client.post(
        "/v1/track", json={"userId": "u-1", "event": "Seen"}, headers={"Authorization": auth}
    )
    return response.status_code


def test_a_cached_lookup_finds_only_the_connection_of_that_key(app: Flask) -> None:
    first, made_first = add_connection(app, "tracking", "web")
    second, made_second = add_connection(app, "tracking", "app")
    key_first, key_second = str(made_first["write_key"]), str(made_second["write_key"])
    assert found(app, key_first) == first and cached(app, key_first)
    for _ in range(2):  # once from the database, once from the cache
        assert found(app, key_second) == second
        assert found(app, key_first) == first
    assert found(app, key_first + "x") is None
    assert found(app, key_first[:-1]) is None
    assert found(app, "") is None
    assert found(app, key_first, connector="generic") is None
    assert not cached(app, key_first + "x")


def test_the_cached_connection_is_this_sessions_own(app: Flask) -> None:
    connection_id, made = add_connection(app, "tracking", "web")
    key = str(made["write_key"])
    found(app, key)
    with app.app_context():
        connection = find_by_credential("tracking", key)
        assert connection is not None and connection in db.session
        assert connection.name == "web" and connection.id == connection_id


def test_a_new_write_key_retires_the_old_one_at_once(app: Flask, client: FlaskClient) -> None:
    connection_id, made = add_connection(app, "tracking", "web")
    old = str(made["write_key"])
    assert track(client, old) == 200 and cached(app, old)
    with app.app_context():
        update_settings(db.session.get_one(Connection, connection_id), {"write_key": "a-brand-new-key"})
        db.session.commit()
    assert not cached(app, old)
    assert track(client, old) == 401
    assert track(client, "a-brand-new-key") == 200
    assert found(app, "a-brand-new-key") == connection_id


def test_a_deleted_connection_is_forgotten_at_once(app: Flask, client: FlaskClient) -> None:
    connection_id, made = add_connection(app, "tracking", "web")
    key = str(made["write_key"])
    assert found(app, key) == connection_id and cached(app, key)
    with app.app_context():
        db.session.delete(db.session.get_one(Connection, connection_id))
        db.session.commit()
    assert found(app, key) is None
    assert track(client, key) == 401


def test_a_bulk_update_forgets_too(app: Flask) -> None:
    connection_id, made = add_connection(app, "tracking", "web")
    key = str(made["write_key"])
    assert found(app, key) == connection_id
    with app.app_context():
        db.session.execute(
            sa.update(Connection).where(Connection.id == connection_id).values(lookup_key=None)
        )
        db.session.commit()
    assert found(app, key) is None


def test_a_rolled_back_change_is_no_change(app: Flask) -> None:
    connection_id, made = add_connection(app, "tracking", "web")
    key = str(made["write_key"])
    with app.app_context():
        update_settings(db.session.get_one(Connection, connection_id), {"write_key": "never-committed"})
        db.session.flush()
        db.session.rollback()
    assert found(app, key) == connection_id
    assert found(app, "never-committed") is None


def test_a_change_by_another_process_is_seen_within_the_ttl(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection_id, made = add_connection(app, "tracking", "web")
    key = str(made["write_key"])
    monkeypatch.setattr(credential_cache(app), "ttl", 0.3)
    assert found(app, key) == connection_id
    with app.app_context():
        other = sa.create_engine(db.engine.url)
    with other.begin() as conn:
        conn.execute(
            sa.text("UPDATE connections SET lookup_key = NULL WHERE id = :id"), {"id": connection_id}
        )
    other.dispose()
    assert found(app, key) == connection_id  # within the TTL: still the cached answer
    time.sleep(0.4)
    assert found(app, key) is None


def test_a_lookup_read_before_a_change_is_not_remembered_after_it() -> None:
    cache = CredentialCache()
    connection = Connection(id=1, connector="tracking", name="web", config_encrypted="x", lookup_key="abc")
    generation = cache.generation  # a request starts its database lookup…
    cache.clear()  # …a change commits meanwhile…
    cache.put("tracking", "abc", connection, generation)  # …and its older answer arrives
    assert cache.get("tracking", "abc") is None
    cache.put("tracking", "abc", connection, cache.generation)
    assert cache.get("tracking", "abc") is not None
    assert cache.get("tracking", "abd") is None
    cache.put("tracking", "abd", connection, cache.generation)  # a row that is not this key's
    assert cache.get("tracking", "abd") is None


def test_the_cache_holds_a_bounded_number_of_keys() -> None:
    cache = CredentialCache(size=3)
    for index in range(5):
        digest = f"key-{index}"
        connection = Connection(
            id=index, connector="tracking", name=str(index), config_encrypted="x", lookup_key=digest
        )
        cache.put("tracking", digest, connection, cache.generation)
    assert [cache.get("tracking", f"key-{i}") is not None for i in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
