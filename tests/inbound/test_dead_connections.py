"""Pooled PostgreSQL connections whose backend died: pinged when idle, retried on the ingest path.

Checkouts are not pinged once a connection was used within `PING_AFTER_IDLE_S` (hub/db.py),
so a backend killed in that second fails the next statement; the ingest path must then
retry on a new connection, store the event once and enqueue its evaluation once.
Backends are killed for real with pg_terminate_backend on the test's PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from rq import Queue

import hub.db
from hub.db import db
from hub.models import Event
from hub.runtime.jobs import QUEUE_NAME
from tests.conftest import close_app, drop_postgres_database, make_app, new_postgres_database
from tests.inbound.support import add_connection, basic
from tests.servers import Postgres, Redis


@pytest.fixture
def pg_app(tmp_path: Path, postgres: Postgres, redis_server: Redis) -> Iterator[Flask]:
    redis.Redis.from_url(redis_server.url).flushdb()
    url = new_postgres_database(postgres)
    application = make_app(tmp_path, url, REDIS_URL=redis_server.url)
    yield application
    close_app(application)
    drop_postgres_database(postgres, url)


def kill_backends(postgres: Postgres, app: Flask) -> int:
    """Terminates every backend serving the app's database; how many there were."""
    with app.app_context():
        name = db.engine.url.database
    admin = sa.create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.scalars(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
            {"db": name},
        ).all()
    admin.dispose()
    return len(killed)


def track(app: Flask, key: str, message_id: str) -> dict[str, object]:
    body = {"userId": "u-1", "event": "Viewed", "messageId": message_id}
    response = app.test_client().post("/v1/track", json=body, headers=basic(key))
    assert response.status_code == 200, response.json
    return dict(response.json or {})


def stored_ids(app: Flask, message_id: str) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Event.id).where(Event.external_id == message_id)))


def evaluated_ids(redis_server: Redis) -> list[int]:
    queue = Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_server.url))
    return [event_id for job in queue.jobs for event_id in job.args[0]]


def test_a_backend_killed_under_a_recently_used_connection_is_retried_and_stored_once(
    pg_app: Flask,
    postgres: Postgres,
    redis_server: Redis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(hub.db, "PING_AFTER_IDLE_S", 3600.0)  # however slow the machine: never pinged
    _, generated = add_connection(pg_app, "tracking", "web")
    key = str(generated["write_key"])
    track(pg_app, key, "before")  # the pooled connection the next request would take
    assert kill_backends(postgres, pg_app) >= 1

    with caplog.at_level(logging.INFO, logger="hub.inbound.store"):
        answer = track(pg_app, key, "after")

    assert (answer["accepted"], answer["duplicates"]) == (1, 0)
    assert "ingest retry 1 after AdminShutdown" in caplog.text  # psycopg: the backend was killed
    (after,) = stored_ids(pg_app, "after")
    (before,) = stored_ids(pg_app, "before")
    assert sorted(evaluated_ids(redis_server)) == [before, after]  # each evaluated once


def test_an_idle_connection_whose_backend_died_is_replaced_before_use(
    pg_app: Flask, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Not only ingest: any request checking out a connection that sat idle gets a live one."""
    _, generated = add_connection(pg_app, "tracking", "web")
    key = str(generated["write_key"])
    track(pg_app, key, "before")
    assert kill_backends(postgres, pg_app) >= 1
    monkeypatch.setattr(hub.db, "PING_AFTER_IDLE_S", 0.0)  # as if it had sat idle for a while

    with caplog.at_level(logging.INFO, logger="hub.inbound.store"):
        answer = track(pg_app, key, "after")
    with pg_app.app_context():
        assert db.session.scalar(sa.text("SELECT 1")) == 1

    assert answer["accepted"] == 1
    assert "ingest retry" not in caplog.text  # the checkout's ping replaced it: nothing failed
    assert len(stored_ids(pg_app, "after")) == 1
