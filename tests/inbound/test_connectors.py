"""The four inbound connectors as the registry and `journeyhub connection add` present them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from connectors.registry import all_connectors, get_connector, with_capability
from connectors.sdk import Capability
from hub.cli import main
from tests.conftest import close_app, make_app
from tests.inbound.support import basic


def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, key: str, *args: str) -> Result:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JOURNEYHUB_SECRET_KEY", key)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_registry_declares_each_inbound_door() -> None:
    assert {"tracking", "generic", "hubspot", "intercom"} <= set(all_connectors())
    assert set(with_capability(Capability.TRACKING)) == {"tracking"}
    assert {"generic", "hubspot", "intercom"} <= set(with_capability(Capability.WEBHOOK))
    tracking = get_connector("tracking")
    assert tracking.spec.lookup_field == "write_key" and tracking.webhook is None
    assert tracking.spec.secret_fields == {"write_key"}
    assert get_connector("generic").spec.secret_fields == {"secret"}
    hubspot, intercom = get_connector("hubspot"), get_connector("intercom")
    token = {"access_token": "t"}
    hubspot_defaults, intercom_defaults = hubspot.prepare_config(token), intercom.prepare_config(token)
    assert hubspot_defaults["base_url"] == "https://api.hubapi.com"
    assert hubspot_defaults["properties"] == "email,firstname,lastname,lifecyclestage"
    assert "webhook_url" not in hubspot_defaults
    assert intercom_defaults["base_url"] == "https://api.intercom.io"
    assert hubspot.spec.secret_fields == intercom.spec.secret_fields == {"access_token", "client_secret"}
    assert hubspot.webhook is not None and intercom.webhook is not None


def test_connection_add_prints_the_write_key_that_then_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> None:
    key = Fernet.generate_key().decode()
    result = cli(monkeypatch, tmp_path, database_url, key, "connection", "add", "tracking", "--name", "web")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"id", "connector", "name", "write_key"}
    assert (printed["connector"], printed["name"]) == ("tracking", "web")
    assert len(printed["write_key"]) >= 32
    app = make_app(tmp_path, database_url, JOURNEYHUB_SECRET_KEY=key)
    try:
        response = app.test_client().post(
            "/v1/track", json={"userId": "u", "event": "E"}, headers=basic(printed["write_key"])
        )
        assert response.status_code == 200 and response.json["accepted"] == 1
    finally:
        close_app(app)


def test_connection_add_generates_or_checks_the_generic_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> None:
    key = Fernet.generate_key().decode()
    generated = cli(monkeypatch, tmp_path, database_url, key, "connection", "add", "generic", "--name", "g1")
    assert json.loads(generated.output)["secret"].startswith("whsec_")
    given = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    chosen = cli(
        monkeypatch,
        tmp_path,
        database_url,
        key,
        "connection",
        "add",
        "generic",
        "--name",
        "g2",
        "--set",
        f"secret={given}",
    )
    assert chosen.exit_code == 0 and "secret" not in json.loads(chosen.output)
    refused = cli(
        monkeypatch,
        tmp_path,
        database_url,
        key,
        "connection",
        "add",
        "generic",
        "--name",
        "g3",
        "--set",
        "secret=hunter2",
    )
    assert refused.exit_code == 1 and refused.stderr == "Error: secret: must start with whsec_\n"
    assert "hunter2" not in refused.output
