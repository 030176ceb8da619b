"""Typed connection settings through the API: JSON types, ranges, required and unknown names, and
a document that states each connector's settings as the API checks them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db

HUBSPOT = {"access_token": "pat-na1-0123456789"}


def create(api: FlaskClient, settings: dict[str, Any], connector: str = "hubspot") -> Any:
    return api.post("/api/v1/connections", json={"connector": connector, "name": "crm", "settings": settings})


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "invalid_settings"
    return {d["field"]: d["message"] for d in response.json["error"]["details"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "must be a whole number"),
        ("250", "must be a whole number"),
        (None, "must be a whole number"),
        (True, "must be a whole number"),
        (2.5, "must be a whole number"),
        (0, "must be at least 1"),
        (251, "must be at most 250"),
    ],
)
def test_a_setting_of_the_wrong_type_or_range_is_400_naming_it(
    app: Flask, api: FlaskClient, value: Any, message: str
) -> None:
    assert problems(create(api, {**HUBSPOT, "page_size": value})) == {"settings.page_size": message}
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM connections")).scalar_one() == 0


def test_a_missing_required_setting_is_400_naming_it(api: FlaskClient) -> None:
    assert problems(create(api, {})) == {"settings.access_token": "required"}
    assert problems(create(api, {"access_token": ""})) == {"settings.access_token": "required"}
    everything = problems(create(api, {"page_size": "x", "base_url": "ftp://x", "colour": 1}))
    assert everything == {
        "settings.access_token": "required",
        "settings.page_size": "must be a whole number",
        "settings.base_url": "must be an http:// or https:// address",
        "settings.colour": "unknown setting",
    }


def test_json_types_that_fit_are_taken(api: FlaskClient) -> None:
    created = create(api, {**HUBSPOT, "page_size": 100.0, "base_url": "http://127.0.0.1:8080/x?y=1"})
    assert created.status_code == 201, created.json
    assert created.json["settings"]["page_size"] == 100
    assert created.json["settings"]["access_token"] == "********"


def test_the_document_states_each_connectors_settings(client: FlaskClient) -> None:
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["ConnectionIn"]
    assert "hubspot" in schema["properties"]["connector"]["enum"]
    (hubspot,) = [b for b in schema["oneOf"] if b["properties"]["connector"] == {"const": "hubspot"}]
    settings = hubspot["properties"]["settings"]
    assert settings["additionalProperties"] is False
    assert settings["required"] == ["access_token"]
    assert settings["properties"]["page_size"] | {"description": ""} == {
        "type": "integer", "minimum": 1, "maximum": 250, "default": 250, "description": "",
    }  # fmt: skip
    assert settings["properties"]["access_token"]["writeOnly"] is True
    assert settings["properties"]["base_url"]["pattern"].startswith("^https?://")
    (tracking,) = [b for b in schema["oneOf"] if b["properties"]["connector"] == {"const": "tracking"}]
    assert "required" not in tracking
