"""The cohorts API and the connection check, as a script would use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from connectors.sdk.fakes.server import FakeServer
from hub.outbound.failures import provider_message
from tests.connectors.conftest import Sleeps, start_fake


@pytest.fixture
def hubspot() -> Iterator[FakeServer]:
    server = start_fake("hubspot", 25)
    yield server
    server.stop()


def connect(api: FlaskClient, connector: str, settings: dict[str, str]) -> int:
    answer = api.post(
        "/api/v1/connections", json={"connector": connector, "name": connector, "settings": settings}
    )
    assert answer.status_code == 201, answer.json
    return int(answer.json["id"])


def test_create_read_and_sync_a_cohort(app: Flask, api: FlaskClient, hubspot: FakeServer) -> None:
    connection_id = connect(api, "hubspot", hubspot.credentials)
    body = {
        "connection_id": connection_id,
        "source_ref": "11",
        "name": "All customers",
        "interval_minutes": 15,
    }
    created = api.post("/api/v1/cohorts", json=body)
    assert created.status_code == 201
    cohort = created.json
    assert (cohort["status"], cohort["member_count"], cohort["syncing"]) == ("ok", 0, False)
    assert cohort["next_sync_at"] is not None and cohort["last_synced_at"] is None
    assert api.get("/api/v1/cohorts").json["items"] == [cohort]
    assert api.get("/api/v1/cohorts", query_string={"connection_id": connection_id + 1}).json["items"] == []
    assert api.post("/api/v1/cohorts", json=body).status_code == 409

    asked = api.post(f"/api/v1/cohorts/{cohort['id']}/sync")
    assert asked.status_code == 202
    assert asked.json["job_id"] == f"cohort-sync-{cohort['id']}" and asked.json["run_status"] == "queued"
    assert app.extensions["journeyhub.jobs"].drain()
    run = api.get(f"/api/v1/runs/{asked.json['run_id']}").json
    assert (run["kind"], run["subject"], run["status"]) == (
        "cohort_sync",
        f"cohort:{cohort['id']}",
        "succeeded",
    )
    assert run["stats"]["entered"] == run["stats"]["members"] == 25 and run["duration_ms"] is not None
    synced = api.get(f"/api/v1/cohorts/{cohort['id']}").json
    assert synced["member_count"] == 25 and synced["last_synced_at"] is not None
    assert "/api/v1/cohorts/{cohort_id}/sync" in api.get("/api/v1/openapi.json").json["paths"]


def test_cohorts_need_a_source_connection(api: FlaskClient) -> None:
    tracking = connect(api, "tracking", {})
    refused = api.post("/api/v1/cohorts", json={"connection_id": tracking, "source_ref": "x", "name": "n"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "not_a_source"
    unknown = api.post(
        "/api/v1/cohorts", json={"connection_id": tracking + 99, "source_ref": "x", "name": "n"}
    )
    assert unknown.status_code == 400 and unknown.json["error"]["details"][0]["field"] == "connection_id"
    invalid = api.post("/api/v1/cohorts", json={"connection_id": tracking, "source_ref": "", "name": "n"})
    assert invalid.status_code == 400 and invalid.json["error"]["code"] == "invalid_request"
    assert api.get("/api/v1/cohorts/12345").status_code == 404
    assert api.post("/api/v1/cohorts/12345/sync").status_code == 404


def test_a_check_that_passes_resumes_a_parked_connection(
    app: Flask, api: FlaskClient, hubspot: FakeServer, sleeps: Sleeps
) -> None:
    connection_id = connect(api, "hubspot", hubspot.credentials)
    cohort = api.post(
        "/api/v1/cohorts", json={"connection_id": connection_id, "source_ref": "11", "name": "All"}
    ).json
    hubspot.inject_fault(403)
    asked = api.post(f"/api/v1/cohorts/{cohort['id']}/sync")
    assert app.extensions["journeyhub.jobs"].drain()
    assert api.get(f"/api/v1/runs/{asked.json['run_id']}").json["status"] == "failed"
    parked = api.get(f"/api/v1/connections/{connection_id}").json
    said = provider_message(hubspot.error(403).get_data())
    assert (parked["status"], parked["last_error"]) == ("needs_attention", said)
    refused = api.post(f"/api/v1/cohorts/{cohort['id']}/sync")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "connection_needs_attention"

    check = api.post(f"/api/v1/connections/{connection_id}/test")
    assert check.status_code == 200 and check.json["ok"] is True
    assert api.get(f"/api/v1/connections/{connection_id}").json["status"] == "ok"
    assert api.post(f"/api/v1/cohorts/{cohort['id']}/sync").status_code == 202
    assert app.extensions["journeyhub.jobs"].drain()
    assert api.get(f"/api/v1/cohorts/{cohort['id']}").json["member_count"] == 25
