"""`GET /` tells the person who just started the hub what is running and where to go next."""

from __future__ import annotations

from importlib.metadata import version

from flask import Flask
from flask.testing import FlaskClient

LINKS = ("/api/v1/openapi.json", "/healthz", "/readyz", "/admin/")


def test_the_root_page_says_what_runs_and_links_onwards(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert f"journeyhub {version('journeyhub')} is running" in text
    assert f"Database: {kind}" in text and "worker: in-process" in text
    for link in LINKS:
        assert f'href="{link}"' in text
    assert "(coming)" not in text, "the admin UI exists (issue 15)"
    assert "token create --name me" in text and "connection add hubspot --help" in text
    assert "README" in text and "First steps" in text
    assert database_url.split("://")[1] not in text, "the page shows where the database is"
    for link in LINKS[:3]:
        assert client.get(link).status_code == 200, link


def test_the_root_page_answers_json_when_asked(client: FlaskClient, database_url: str) -> None:
    about = client.get("/", headers={"Accept": "application/json"})
    assert about.status_code == 200 and about.mimetype == "application/json"
    body = about.json
    assert body["version"] == version("journeyhub")
    assert body["database"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")
    assert body["worker"] == "in-process"
    assert body["links"] == dict(zip(("openapi", "health", "ready", "admin"), LINKS, strict=True))
    assert body["admin_ready"] is True and body["readme"] == "First steps"
    assert any(step.startswith("TOKEN=$(.venv/bin/journeyhub token create") for step in body["first_steps"])
    assert client.get("/").mimetype == "text/html", "a client that accepts anything gets the page"


def test_the_root_page_names_the_rq_worker(rq_app: Flask) -> None:
    about = rq_app.test_client().get("/", headers={"Accept": "application/json"}).json
    assert about["worker"] == "rq"
    assert "redis://" not in str(about)
