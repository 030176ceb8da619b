"""Each class of hostile input gets a 4xx in the error shape on every API route, never a 500.

Routes are read from the app's URL map, so a resource added later is covered by the same tests.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.api.auth import create_token
from hub.db import db
from tests.conftest import close_app, make_app
from tests.inbound.support import served
from tests.inbound.test_bodies import chunked_post

INT64_MAX = 2**63 - 1
BEYOND = [str(INT64_MAX + 1), "99999999999999999999", str(2**31), "0"]


def id_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, path template) of every API route that names a row by id."""
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "<id:" in rule.rule
        for method in rule.methods or ()
        if method in {"GET", "POST", "PUT", "DELETE"}
    )


def fill(template: str, value: str) -> str:
    head, _, rest = template.partition("<id:")
    return head + value + rest.partition(">")[2]


def assert_error(response: object, status: int, field: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)  # type: ignore[attr-defined]
    error = response.json["error"]  # type: ignore[attr-defined]
    assert set(error) == {"code", "message", "details"}
    if field is not None:
        assert field in {d["field"] for d in error["details"]}, error
    return error  # type: ignore[no-any-return]


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_ids_beyond_the_stored_range_are_404_on_every_id_route(app: Flask, api: FlaskClient) -> None:
    routes = id_routes(app)
    assert len(routes) >= 8
    for method, template in routes:
        for value in [*BEYOND, str(INT64_MAX), "-1"]:
            response = api.open(fill(template, value), method=method)
            assert_error(response, 404)


def test_id_filters_beyond_int64_are_400_naming_the_field(api: FlaskClient) -> None:
    for path, field in [
        ("/api/v1/events", "connection_id"),
        ("/api/v1/events", "profile_id"),
        ("/api/v1/cohorts", "connection_id"),
        ("/api/v1/invites", "campaign_id"),
        ("/api/v1/invites", "recipe_id"),
        ("/api/v1/invites", "profile_id"),
    ]:
        for value in (str(INT64_MAX + 1), "0", "-3"):
            assert_error(api.get(path, query_string={field: value}), 400, field)
        within = api.get(path, query_string={field: str(INT64_MAX)})  # no such row, on any database
        assert within.status_code == 200 and within.json["items"] == []


def test_a_body_id_beyond_int64_is_400_and_a_big_one_names_no_connection(api: FlaskClient) -> None:
    body = {"connection_id": INT64_MAX + 1, "source_ref": "x", "name": "n"}
    assert_error(api.post("/api/v1/cohorts", json=body), 400, "connection_id")
    unknown = api.post("/api/v1/cohorts", json={**body, "connection_id": 2**40})
    assert assert_error(unknown, 400, "connection_id")["code"] == "unknown_connection"


@pytest.mark.parametrize(
    "value",
    [cursor(f"id:{INT64_MAX + 1}"), cursor("id:-5"), cursor("id:0"), cursor("id:١٢"), "%%%", "x" * 300],
)
def test_cursors_this_api_never_issued_are_400(api: FlaskClient, value: str) -> None:
    for path in (
        "/api/v1/runs",
        "/api/v1/events",
        "/api/v1/profiles",
        "/api/v1/connections",
        "/api/v1/invites",
        "/api/v1/outbox",
        "/api/v1/journeys",
    ):
        assert_error(api.get(path, query_string={"cursor": value}), 400, "cursor")


def test_a_cursor_past_a_narrow_id_column_still_pages(api: FlaskClient) -> None:
    api.post("/api/v1/connections", json={"connector": "tracking", "name": "web"})
    answer = api.get("/api/v1/connections", query_string={"cursor": cursor(f"id:{INT64_MAX}")})
    assert answer.status_code == 200 and len(answer.json["items"]) == 1


@pytest.mark.parametrize(
    "value", ["0.5", "12345", "1e3", "last-week", "2026-01-02", "9999-12-31T23:59:59-23:59", ""]
)
def test_times_must_be_iso_8601_text(api: FlaskClient, value: str) -> None:
    for field in ("since", "until"):
        assert_error(api.get("/api/v1/events", query_string={field: value}), 400, field)


def test_iso_times_with_and_without_an_offset_are_taken(api: FlaskClient) -> None:
    for value in ("2026-01-02T10:00:00Z", "2026-01-02T10:00:00", "2026-01-02T10:00:00.5+02:00"):
        assert api.get("/api/v1/events", query_string={"since": value}).status_code == 200


def test_json_nested_past_the_limit_is_400_not_a_recursion_error(app: Flask, api: FlaskClient) -> None:
    for depth in (70, 1000, 100_000):
        nested = "[" * depth + "]" * depth
        body = '{"connector": "tracking", "name": "n", "settings": {"x": ' + nested + "}}"
        response = api.post("/api/v1/connections", data=body, content_type="application/json")
        error = assert_error(response, 400)
        assert "nested deeper than" in json.dumps(error)
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM connections")).scalar_one() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"connector": "tracking", "name": "u\\ud800"}', "name"),
        ('{"connector": "tracking", "name": "a\\u0000b"}', "name"),
        ('{"connector": "tracking", "name": "n", "settings": {"k\\udfff": 1}}', "settings.k\\udfff"),
        ('{"connection_id": 1, "source_ref": "\\ud83d", "name": "n"}', "source_ref"),
    ],
)
def test_text_no_database_can_store_is_400_naming_the_field(api: FlaskClient, body: str, field: str) -> None:
    path = "/api/v1/cohorts" if "source_ref" in body else "/api/v1/connections"
    assert_error(api.post(path, data=body, content_type="application/json"), 400, field)


def test_numbers_json_does_not_have_are_400(api: FlaskClient) -> None:
    for number in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = '{"connection_id": ' + number + ', "source_ref": "x", "name": "n"}'
        response = api.post("/api/v1/cohorts", data=body, content_type="application/json")
        assert assert_error(response, 400)["code"] == "malformed_json"


def test_nul_in_a_query_parameter_is_400_naming_it(api: FlaskClient) -> None:
    assert_error(api.get("/api/v1/runs", query_string={"kind": "a\x00b"}), 400, "kind")
    assert_error(api.get("/api/v1/events/1", query_string={"x": "\x00"}), 400, "x")


def test_a_body_that_is_not_json_is_415(api: FlaskClient) -> None:
    response = api.post("/api/v1/connections", data="connector=tracking", content_type="text/plain")
    assert assert_error(response, 415)["code"] == "unsupported_media_type"
    form = api.post("/api/v1/connections", data={"connector": "tracking", "name": "n"})
    assert_error(form, 415)


@pytest.fixture
def small_api(tmp_path: Path, database_url: str) -> Iterator[tuple[Flask, str]]:
    application = make_app(tmp_path, database_url, JOURNEYHUB_MAX_BODY_BYTES="4096")
    with application.app_context():
        token = create_token("tests")
        db.session.commit()
    yield application, token
    close_app(application)


def test_a_chunked_body_over_the_limit_is_413_not_cut_short(small_api: tuple[Flask, str]) -> None:
    app, token = small_api
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    big = json.dumps({"connector": "tracking", "name": "n" * 10_000}).encode()
    small = json.dumps({"connector": "tracking", "name": "fits"}).encode()
    with served(app) as base_url:
        over = chunked_post(base_url, "/api/v1/connections", headers, big)
        within = chunked_post(base_url, "/api/v1/connections", headers, small)
        declared = app.test_client().post("/api/v1/connections", data=big, headers=headers)
    assert over[0] == 413 and over[1]["error"]["code"] == "request_entity_too_large"  # type: ignore[index]
    assert within[0] == 201
    assert declared.status_code == 413
