"""/healthz answers while the process lives; /readyz names what is failing."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import close_app, make_app
from tests.servers import Redis, free_port


def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_ok_with_database_and_redis(rq_app) -> None:  # type: ignore[no-untyped-def]
    response = rq_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_names_redis_when_it_is_down(tmp_path: Path, database_url: str) -> None:
    app = make_app(tmp_path, database_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    try:
        response = app.test_client().get("/readyz")
    finally:
        close_app(app)
    assert response.status_code == 503
    assert response.json["failing"] == ["redis"]
    assert "redis" in response.json["message"]


def test_readyz_names_the_database_when_it_is_unreachable(tmp_path: Path, redis_server: Redis) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    app = make_app(tmp_path, url, REDIS_URL=redis_server.url)
    try:
        response = app.test_client().get("/readyz")
    finally:
        close_app(app)
    assert response.status_code == 503
    assert response.json["failing"] == ["database"]
