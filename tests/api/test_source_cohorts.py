"""GET /api/v1/connections/<id>/cohorts: what a person can pick to sync, asked of each source's fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from connectors.sdk.fakes.server import FakeServer
from tests.connectors.conftest import (
    SOURCES,
    Sleeps,
    add_connection,
    start_fake,
    wrong_credentials,
)
from tests.connectors.conftest import sleeps as sleeps  # the fixture, used by this module too


@pytest.fixture(params=SOURCES)
def source(request: pytest.FixtureRequest) -> Iterator[tuple[str, FakeServer]]:
    server = start_fake(str(request.param), 12)
    yield str(request.param), server
    server.stop()


def test_each_source_lists_the_cohorts_its_provider_offers(
    app: Flask, api: FlaskClient, source: tuple[str, FakeServer]
) -> None:
    name, fake = source
    connection_id = add_connection(app, name, fake)
    answer = api.get(f"/api/v1/connections/{connection_id}/cohorts")
    assert answer.status_code == 200, answer.json
    assert answer.json["next_cursor"] is None
    listed = {item["source_ref"]: item for item in answer.json["items"]}
    offered = {c["source_ref"]: c for c in fake.cohorts()}
    assert set(listed) == set(offered)
    for ref, item in listed.items():
        assert set(item) == {"source_ref", "name", "size"}
        assert item["name"] == offered[ref]["name"]
        assert item["size"] in (None, offered[ref]["members"])
    assert fake.request_count > 0


def test_a_listed_source_ref_is_what_post_cohorts_takes(
    app: Flask, api: FlaskClient, source: tuple[str, FakeServer]
) -> None:
    name, fake = source
    connection_id = add_connection(app, name, fake)
    first = api.get(f"/api/v1/connections/{connection_id}/cohorts").json["items"][0]
    body = {"connection_id": connection_id, "source_ref": first["source_ref"], "name": first["name"]}
    assert api.post("/api/v1/cohorts", json=body).status_code == 201


def test_rejected_credentials_are_409_with_the_provider_message_and_no_secret(
    app: Flask, api: FlaskClient, source: tuple[str, FakeServer], sleeps: Sleeps
) -> None:
    name, fake = source
    wrong = wrong_credentials(name, fake)
    connection_id = add_connection(app, name, fake, **wrong)
    answer = api.get(f"/api/v1/connections/{connection_id}/cohorts")
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "provider_rejected"
    assert answer.json["error"]["details"]["provider_status"] in (401, 403)
    text = answer.get_data(as_text=True)
    assert all(value not in text for value in wrong.values())
    assert sleeps.waits == []  # a rejection is not retried


def test_a_provider_down_is_502_after_the_retries_it_counts(
    app: Flask, api: FlaskClient, source: tuple[str, FakeServer], sleeps: Sleeps
) -> None:
    name, fake = source
    connection_id = add_connection(app, name, fake)
    fake.inject_fault(500, times=10)
    answer = api.get(f"/api/v1/connections/{connection_id}/cohorts")
    assert answer.status_code == 502
    assert answer.json["error"]["code"] == "provider_unavailable"
    assert answer.json["error"]["details"] == {"provider_status": 500, "retries": 2}
    assert len(sleeps.waits) == 2


def test_a_rate_limited_provider_is_503_with_retry_after(
    app: Flask, api: FlaskClient, source: tuple[str, FakeServer], sleeps: Sleeps
) -> None:
    name, fake = source
    connection_id = add_connection(app, name, fake)
    fake.inject_fault(429, times=10, retry_after=7)
    answer = api.get(f"/api/v1/connections/{connection_id}/cohorts")
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "provider_rate_limited"
    assert answer.json["error"]["details"]["retries"] == len(sleeps.waits) == 2
    assert answer.headers.get("Retry-After") in (None, "7")  # when the provider's format says so


def test_retry_after_passes_on_what_the_provider_asked(app: Flask, api: FlaskClient, sleeps: Sleeps) -> None:
    fake = start_fake("hubspot", 3)
    try:
        connection_id = add_connection(app, "hubspot", fake)
        fake.inject_fault(429, times=10, retry_after=7)
        answer = api.get(f"/api/v1/connections/{connection_id}/cohorts")
        assert (answer.status_code, answer.headers["Retry-After"]) == (503, "7")
        assert sleeps.waits == [7.0, 7.0]
    finally:
        fake.stop()


def test_an_address_outside_the_allowed_hosts_is_refused_before_any_call(
    app: Flask, api: FlaskClient, sleeps: Sleeps
) -> None:
    fake = start_fake("hubspot", 3)
    try:
        connection_id = add_connection(app, "hubspot", fake, base_url="http://10.0.0.1:9")
        answer = api.get(f"/api/v1/connections/{connection_id}/cohorts")
        assert answer.status_code == 409 and answer.json["error"]["code"] == "provider_rejected"
        assert "10.0.0.1" in answer.json["error"]["message"]
        assert fake.request_count == 0
    finally:
        fake.stop()


def test_a_connection_that_is_not_a_source_and_an_unknown_one(api: FlaskClient) -> None:
    tracking = api.post("/api/v1/connections", json={"connector": "tracking", "name": "web"}).json["id"]
    refused = api.get(f"/api/v1/connections/{tracking}/cohorts")
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "not_a_source"
    assert refused.json["error"]["details"] == [
        {"field": "connection_id", "message": "tracking connections cannot provide cohorts"}
    ]
    missing = api.get(f"/api/v1/connections/{tracking + 1}/cohorts")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/connections/{tracking}/cohorts?limit=5").status_code == 400


def test_the_document_describes_the_listing(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/connections/{connection_id}/cohorts"]["get"]
    assert {"200", "400", "401", "404", "409", "502", "503"} <= set(operation["responses"])
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/SourceCohortPage")
    item = document["components"]["schemas"]["SourceCohortOut"]
    assert set(item["properties"]) == {"source_ref", "name", "size"}
