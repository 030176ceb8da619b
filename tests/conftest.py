"""Fixtures in the manner of Flask's tutorial: an app per test on a fresh database.

Database tests run twice, on SQLite and on a real PostgreSQL; both start from a template
migrated once per session, so a test pays for a copy, not for the migrations.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from hub.app import create_app
from hub.migrate import upgrade
from tests.servers import Postgres, Redis, start_postgres, start_redis

TEMPLATE_DB = "journeyhub_template"
ENV_VARS = ("DATABASE_URL", "REDIS_URL", "ANTHROPIC_API_KEY", "JOURNEYHUB_HOME", "JOURNEYHUB_SECRET_KEY")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they pass; no stray .env or developer variables."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = start_postgres()
    engine = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {TEMPLATE_DB}"))
    engine.dispose()
    template = sa.create_engine(server.url(TEMPLATE_DB))
    upgrade(template)
    template.dispose()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "journeyhub.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def new_postgres_database(server: Postgres, template: str | None = TEMPLATE_DB) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(sa.text(f"CREATE DATABASE {name}{suffix}"))
    engine.dispose()
    return server.url(name)


def drop_postgres_database(server: Postgres, url: str) -> None:
    """Hundreds of copies of the template would otherwise pile up on disk until the session ends."""
    engine = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {sa.make_url(url).database} WITH (FORCE)"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "db" / "journeyhub.db"
        target.parent.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("postgres")
    url = new_postgres_database(server)
    yield url
    drop_postgres_database(server, url)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, for migration tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return new_postgres_database(request.getfixturevalue("postgres"), template=None)


def make_app(tmp_path: Path, database_url: str, **extra: Any) -> Flask:
    settings = {
        "JOURNEYHUB_HOME": str(tmp_path / "home"),
        "DATABASE_URL": database_url,
        "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
        "JOURNEYHUB_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **extra,
    }
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


def close_app(app: Flask) -> None:
    backend = app.extensions["journeyhub.jobs"]
    if hasattr(backend, "shutdown"):
        backend.shutdown()
    with app.app_context():
        for engine in app.extensions["sqlalchemy"].engines.values():
            engine.dispose()


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    application = make_app(tmp_path, database_url)
    yield application
    close_app(application)


@pytest.fixture
def rq_app(tmp_path: Path, database_url: str, redis_server: Redis) -> Iterator[Flask]:
    """The same app, its jobs going to RQ on the real Redis (flushed per test)."""
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    application = make_app(tmp_path, database_url, REDIS_URL=redis_server.url)
    yield application
    close_app(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api_token(app: Flask) -> str:
    from hub.api.auth import create_token
    from hub.db import db

    with app.app_context():
        token = create_token("tests")
        db.session.commit()
    return token


@pytest.fixture
def api(app: Flask, api_token: str) -> FlaskClient:
    """A test client that sends the bearer token on every request."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token}"
    return test_client
