"""A write key or webhook secret is shown once, at creation, and nowhere after that.

The log scrubber masks secrets it knows; this test listens *before* it, so a secret that
our own code writes into a log line is caught at the source, not hidden after the fact.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from flask import Flask

from hub.api.auth import create_token
from hub.cli import main
from hub.connections import settings
from hub.db import db
from hub.models import Connection
from hub.secrets import vault
from tests.conftest import close_app, make_app
from tests.inbound.support import basic, dumps, standard_headers


class Unscrubbed(logging.Handler):
    """Formats every record before any other handler (or the scrubber on it) can touch it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(message)s").format(record))


@pytest.fixture
def unscrubbed() -> Iterator[Unscrubbed]:
    handler = Unscrubbed()
    root = logging.getLogger()
    root.handlers.insert(0, handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def test_secrets_appear_only_in_the_creation_output(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    unscrubbed: Unscrubbed,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = Fernet.generate_key().decode()
    for name, value in (
        ("DATABASE_URL", database_url),
        ("JOURNEYHUB_HOME", str(tmp_path / "home")),
        ("JOURNEYHUB_SECRET_KEY", key),
    ):
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    tracking = json.loads(runner.invoke(main, ["connection", "add", "tracking", "--name", "web"]).output)
    generic = json.loads(runner.invoke(main, ["connection", "add", "generic", "--name", "hooks"]).output)
    write_key, secret = tracking["write_key"], generic["secret"]
    secrets = (write_key, secret, secret.removeprefix("whsec_"))

    app = make_app(tmp_path, database_url, JOURNEYHUB_SECRET_KEY=key, JOURNEYHUB_LOG_LEVEL="DEBUG")
    try:
        outputs = exercise(app, tracking["id"], generic["id"], write_key, secret)
    finally:
        close_app(app)
    for value in secrets:
        assert not any(value in text for text in outputs), "a secret came back in an answer or repr"
        assert value not in caplog.text
        assert not any(value in line for line in unscrubbed.lines)
    assert any("refused a delivery" in line for line in unscrubbed.lines)  # the refusals were logged
    assert len(outputs) == 12


def exercise(app: Flask, tracking_id: int, generic_id: int, write_key: str, secret: str) -> list[str]:
    """Uses both connections the ways a person and a sender would; returns everything shown back."""
    client = app.test_client()
    shown: list[str] = []
    body = dumps({"event": "E", "user_id": "u"})
    for response in (
        client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=basic(write_key)),
        client.post("/v1/batch", json={"batch": [{"type": "track"}], "writeKey": write_key}),
        client.post("/v1/track", json={"userId": "u"}, headers=basic(write_key + "x")),
        client.post(f"/hooks/generic/{generic_id}", data=body, headers=standard_headers(secret, body, "m1")),
        client.post(
            f"/hooks/generic/{generic_id}", data=body + b" ", headers=standard_headers(secret, body, "m2")
        ),
        client.post(f"/hooks/generic/{generic_id}", data=b"{", headers=standard_headers(secret, b"{", "m3")),
    ):
        assert response.status_code in {200, 400, 401}
        shown.append(response.get_data(as_text=True))
    with app.app_context():
        token = create_token("secrets-test")
        db.session.commit()
        connections = [db.session.get(Connection, i) for i in (tracking_id, generic_id)]
        shown += [repr(c) for c in connections] + [repr(vault())]
        assert settings(connections[0])["write_key"] == write_key  # the stored value is the real one
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    listed = api.get("/api/v1/connections")
    assert {c["settings"].get("write_key") or c["settings"].get("secret") for c in listed.json["items"]} == {
        "********"
    }
    shown += [listed.get_data(as_text=True)]
    shown += [api.get(f"/api/v1/connections/{i}").get_data(as_text=True) for i in (tracking_id, generic_id)]
    return shown
