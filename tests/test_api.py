"""The JSON API skeleton: bearer tokens, the error shape, cursor pagination, OpenAPI."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import hub.api
from hub.db import db, utcnow
from hub.models import ApiToken, Run


def add_runs(app: Flask, count: int) -> list[int]:
    with app.app_context():
        runs = [
            Run(kind="k", subject=f"s{i}", status="succeeded", finished_at=utcnow()) for i in range(count)
        ]
        db.session.add_all(runs)
        db.session.commit()
        return [r.id for r in runs]


def test_no_token_is_401_in_the_error_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/runs")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert set(response.json["error"]) == {"code", "message", "details"}


def test_unknown_token_is_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/runs", headers={"Authorization": "Bearer jh_not-a-token"})
    assert response.status_code == 401
    assert response.json["error"]["message"] == "unknown API token"


def test_tokens_are_stored_hashed_and_usage_recorded(app: Flask, api: FlaskClient, api_token: str) -> None:
    assert api.get("/api/v1/runs").status_code == 200
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken)).one()
        assert api_token not in stored.token_hash
        assert len(stored.token_hash) == 64
        assert stored.last_used_at is not None


def test_cursor_pagination_walks_every_item_once(app: Flask, api: FlaskClient) -> None:
    ids = add_runs(app, 7)
    seen: list[int] = []
    url = "/api/v1/runs?limit=3"
    pages = 0
    while url:
        body = api.get(url).json
        seen += [item["id"] for item in body["items"]]
        pages += 1
        url = f"/api/v1/runs?limit=3&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == sorted(ids, reverse=True)
    assert pages == 3


def test_filters_and_single_run(app: Flask, api: FlaskClient) -> None:
    ids = add_runs(app, 3)
    body = api.get("/api/v1/runs?subject=s1").json
    assert [item["id"] for item in body["items"]] == [ids[1]]
    one = api.get(f"/api/v1/runs/{ids[0]}").json
    assert one["subject"] == "s0"
    assert one["steps"] == []


def test_bad_query_is_400_naming_the_field(api: FlaskClient) -> None:
    response = api.get("/api/v1/runs?limit=nope&colour=red")
    assert response.status_code == 400
    fields = {d["field"] for d in response.json["error"]["details"]}
    assert fields == {"limit", "colour"}
    assert "limit" in response.json["error"]["message"]


def test_tampered_cursor_is_400(api: FlaskClient) -> None:
    response = api.get("/api/v1/runs?cursor=%%%")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_cursor"


def test_missing_resource_is_404_in_the_error_shape(api: FlaskClient) -> None:
    response = api.get("/api/v1/runs/999999")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert api.get("/api/v1/no-such-thing").json["error"]["code"] == "not_found"


def test_malformed_json_is_400_with_the_reason_and_writes_nothing(app: Flask, api: FlaskClient) -> None:
    response = api.post("/api/v1/connections", data='{"connector": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert "Expecting value" in response.json["error"]["message"]
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM connections")).scalar_one() == 0


def test_unknown_fields_and_unknown_connector_are_reported(api: FlaskClient) -> None:
    unknown_field = api.post("/api/v1/connections", json={"connector": "x", "name": "n", "colour": "red"})
    assert unknown_field.status_code == 400
    assert unknown_field.json["error"]["details"] == [
        {"field": "colour", "message": "Extra inputs are not permitted"}
    ]
    unknown_connector = api.post("/api/v1/connections", json={"connector": "nope", "name": "n"})
    assert unknown_connector.status_code == 400
    assert unknown_connector.json["error"]["code"] == "unknown_connector"


def test_openapi_document_is_generated_from_the_models(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/connections"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert schemas["ConnectionIn"]["additionalProperties"] is False
    assert set(schemas["ConnectionIn"]["required"]) == {"connector", "name"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert set(schemas["ErrorInfo"]["required"]) == {"code", "message"}
    assert (
        "ErrorBody"
        in document["paths"]["/api/v1/runs"]["get"]["responses"]["400"]["content"]["application/json"][
            "schema"
        ]["$ref"]
    )


def test_create_connection_shows_generated_keys_once_then_masks_them(api: FlaskClient) -> None:
    created = api.post("/api/v1/connections", json={"connector": "generic", "name": "events"})
    assert created.status_code == 201
    secret = created.json["generated"]["secret"]
    assert secret.startswith("whsec_")
    assert created.json["settings"]["secret"] == "********"
    listed = api.get("/api/v1/connections").get_data(as_text=True)
    one = api.get(f"/api/v1/connections/{created.json['id']}").get_data(as_text=True)
    assert secret not in listed and secret not in one
    assert api.get(f"/api/v1/connections/{created.json['id']}").json["created_at"].endswith("Z")


def test_create_connection_conflict_and_bad_settings(app: Flask, api: FlaskClient) -> None:
    assert api.post("/api/v1/connections", json={"connector": "tracking", "name": "web"}).status_code == 201
    again = api.post("/api/v1/connections", json={"connector": "tracking", "name": "web"})
    assert again.status_code == 409
    bad = api.post(
        "/api/v1/connections", json={"connector": "hubspot", "name": "crm", "settings": {"colour": "x"}}
    )
    assert bad.status_code == 400
    assert {"field": "settings.colour", "message": "unknown setting"} in bad.json["error"]["details"]
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM connections")).scalar_one() == 1


def test_401_carries_a_bearer_challenge(client: FlaskClient) -> None:
    assert client.get("/api/v1/runs").headers["WWW-Authenticate"].startswith("Bearer")


def test_every_operation_declares_what_it_answers_in_the_error_shape(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    operations = [(path, op) for path, ops in document["paths"].items() for op in ops.values()]
    assert len(operations) >= 15
    for path, operation in operations:
        statuses = set(operation["responses"])
        assert {"400", "401"} <= statuses, path
        assert ("404" in statuses) == ("{" in path), path
        assert ({"413", "415"} <= statuses) == ("requestBody" in operation), path
        assert not any(status.startswith("5") for status in statuses - {"502", "503"}), path
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    created = document["paths"]["/api/v1/connections"]["post"]["responses"]
    assert {"201", "409"} <= set(created)
    assert "202" in document["paths"]["/api/v1/cohorts/{cohort_id}/sync"]["post"]["responses"]


def test_path_ids_are_documented_as_the_int64_range_they_accept(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    ids = [
        parameter["schema"]
        for ops in paths.values()
        for op in ops.values()
        for parameter in op.get("parameters", [])
        if parameter["in"] == "path"
    ]
    assert len(ids) >= 8
    assert all(s == {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1} for s in ids)


def test_pages_are_one_generic_model_named_after_their_items(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    for name in ("Cohort", "Connection", "Event", "Profile", "Run"):
        page = schemas[f"{name}Page"]
        assert set(page["properties"]) == {"items", "next_cursor"}
        assert page["properties"]["items"]["items"]["$ref"].endswith(f"/{name}Out")
    assert not [name for name in schemas if "[" in name or "Page_" in name]
    ref = document["paths"]["/api/v1/runs"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"]["$ref"].endswith("/RunPage")


def test_one_get_or_404_and_one_page_model_serve_every_resource(app: Flask, api: FlaskClient) -> None:
    api_package = Path(hub.api.__file__).parent
    for module in api_package.glob("*.py"):
        source = module.read_text()
        if module.name != "common.py":
            assert "db.session.get(" not in source, module.name
            assert "next_cursor: str" not in source, module.name
    for path, noun in [
        ("runs", "run"),
        ("events", "event"),
        ("cohorts", "cohort"),
        ("connections", "connection"),
    ]:
        missing = api.get(f"/api/v1/{path}/424242")
        assert (missing.status_code, missing.json["error"]) == (
            404, {"code": "not_found", "message": f"no {noun} 424242", "details": None},
        )  # fmt: skip
