"""The admin's pages call the JSON API with the session: only with the page's CSRF token, and a
bearer token is still judged on its own."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.admin.conftest import csrf
from tests.admin.seed import CAMPAIGN


def test_a_signed_in_admin_calls_the_api_with_the_pages_csrf_token(app: Flask, admin: FlaskClient) -> None:
    token = csrf(admin, "/admin/tokens/")
    assert admin.get("/api/v1/connections", headers={"X-CSRFToken": token}).status_code == 200
    refused = admin.get("/api/v1/connections")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf"
    forged = admin.post("/api/v1/campaigns", json=CAMPAIGN, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 403


def test_the_apis_400_names_the_field_for_the_builder(app: Flask, admin: FlaskClient) -> None:
    headers = {"X-CSRFToken": csrf(admin, "/admin/tokens/")}
    body = {
        "name": "Cart",
        "trigger": {"type": "event", "event": "cart_abandoned"},
        "conditions": {"all": [{"field": "properties.cart_value", "op": "gt", "value": 5}, {"field": "x"}]},
        "campaign_id": 1,
    }
    answer = admin.post("/api/v1/recipes", json=body, headers=headers)
    assert answer.status_code == 400
    assert "conditions.all[1].op" in [d["field"] for d in answer.json["error"]["details"]]


def test_without_a_session_the_header_alone_is_not_enough(app: Flask, admin: FlaskClient) -> None:
    token = csrf(admin, "/admin/tokens/")
    stranger = app.test_client()
    answer = stranger.get("/api/v1/connections", headers={"X-CSRFToken": token})
    assert answer.status_code == 401


def test_a_bearer_token_is_judged_alone_even_beside_a_session(app: Flask, admin: FlaskClient) -> None:
    token = csrf(admin, "/admin/tokens/")
    answer = admin.get(
        "/api/v1/connections", headers={"X-CSRFToken": token, "Authorization": "Bearer jh_unknown"}
    )
    assert answer.status_code == 401
