"""Campaigns, recipes and suppression rules through the API: validated JSON, 400s that name the path."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db
from hub.models import RecipeVersion
from tests.recipes.conftest import CAMPAIGN, add_campaign, add_recipe, recipe_body


def refused(answer: Any) -> tuple[str, str]:
    assert answer.status_code == 400, answer.json
    return answer.json["error"]["code"], answer.json["error"]["details"][0]["field"]


def test_a_campaign_is_created_read_listed_replaced_and_deleted(api: FlaskClient) -> None:
    campaign_id = add_campaign(api)
    one = api.get(f"/api/v1/campaigns/{campaign_id}").json
    assert one["name"] == CAMPAIGN["name"] and one["questions"][0]["type"] == "open_ended"
    assert {"id", "created_at", "updated_at"} <= set(one)
    listed = api.get("/api/v1/campaigns?limit=1").json
    assert [c["id"] for c in listed["items"]] == [campaign_id] and listed["next_cursor"] is None
    replaced = api.put(f"/api/v1/campaigns/{campaign_id}", json={**CAMPAIGN, "name": "Renamed"})
    assert replaced.status_code == 200 and replaced.json["name"] == "Renamed"
    assert api.delete(f"/api/v1/campaigns/{campaign_id}").status_code == 204
    assert api.get(f"/api/v1/campaigns/{campaign_id}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"colour": "red"}, "invalid_request", "colour"),
        ({"channel": "pigeon"}, "invalid_request", "channel"),
        ({"body": "Hello {{ secret_key }}"}, "invalid_template", "body"),
        ({"subject": "Hello {{ traits.name "}, "invalid_template", "subject"),
        ({"questions": [{"id": "q", "type": "essay", "text": "?"}]}, "invalid_request", "questions[0].type"),
        ({"connection_id": 999}, "unknown_connection", "connection_id"),
    ],
)
def test_a_campaign_that_cannot_work_is_400_naming_the_field(
    api: FlaskClient, changes: dict[str, Any], code: str, field: str
) -> None:
    assert refused(api.post("/api/v1/campaigns", json={**CAMPAIGN, **changes})) == (code, field)


def test_a_campaign_is_delivered_by_a_connection_of_its_channel(api: FlaskClient) -> None:
    tracking = api.post("/api/v1/connections", json={"connector": "tracking", "name": "web"}).json["id"]
    generic = api.post("/api/v1/connections", json={"connector": "generic", "name": "out"}).json["id"]
    assert refused(api.post("/api/v1/campaigns", json={**CAMPAIGN, "connection_id": tracking})) == (
        "wrong_connection",
        "connection_id",
    )
    assert api.post("/api/v1/campaigns", json={**CAMPAIGN, "connection_id": generic}).status_code == 201


def test_a_recipe_is_stored_with_its_defaults_and_every_edit_is_a_new_version(
    app: Flask, api: FlaskClient
) -> None:
    campaign_id = add_campaign(api)
    recipe = add_recipe(api, campaign_id)
    assert recipe["version"] == 1 and recipe["enabled"] is True
    assert recipe["caps"] == {
        "per_person_days": None,
        "per_campaign_person": "once",
        "daily_budget": None,
        "when_capped": "drop",
    }
    edited = api.put(f"/api/v1/recipes/{recipe['id']}", json=recipe_body(campaign_id, sample_percent=50))
    assert edited.status_code == 200 and edited.json["version"] == 2 and edited.json["sample_percent"] == 50
    with app.app_context():
        versions = db.session.execute(
            sa.select(RecipeVersion.version, RecipeVersion.definition).order_by(RecipeVersion.version)
        ).all()
    assert [(v, d["sample_percent"]) for v, d in versions] == [(1, 100), (2, 50)]
    assert api.get(f"/api/v1/recipes?campaign_id={campaign_id}").json["items"][0]["version"] == 2


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"colour": "red"}, "invalid_request", "colour"),
        ({"trigger": {"type": "sometimes"}}, "invalid_request", "trigger.type"),
        ({"trigger": {"type": "after", "event": "paid", "days": 0}}, "invalid_request", "trigger.days"),
        (
            {
                "conditions": {
                    "all": [
                        {"field": "traits.plan", "op": "eq", "value": "pro"},
                        {"field": "traits.x", "op": "like"},
                    ]
                }
            },
            "invalid_request",
            "conditions.all[1].op",
        ),
        (
            {"screener": {"any": [{"all": [{"field": "traits.plan", "op": "in", "value": "pro"}]}]}},
            "invalid_request",
            "screener.any[0].all[0].value",
        ),
        (
            {"conditions": {"all": [{"field": "os.system", "op": "exists"}]}},
            "invalid_request",
            "conditions.all[0].field",
        ),
        ({"caps": {"per_campaign_person": "twice"}}, "invalid_request", "caps.per_campaign_person"),
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "invalid_request", "quiet_hours.start"),
        ({"campaign_id": 4242}, "unknown_campaign", "campaign_id"),
        ({"trigger": {"type": "cohort_entered", "cohort_id": 77}}, "unknown_cohort", "trigger.cohort_id"),
    ],
)
def test_a_recipe_that_cannot_work_is_400_naming_the_path(
    api: FlaskClient, changes: dict[str, Any], code: str, field: str
) -> None:
    campaign_id = add_campaign(api)
    body = {**recipe_body(campaign_id), **changes}
    assert refused(api.post("/api/v1/recipes", json=body)) == (code, field)


def test_action_templates_are_checked_against_their_variables(api: FlaskClient) -> None:
    campaign_id = add_campaign(api)
    slack = api.post("/api/v1/connections", json={"connector": "generic", "name": "slack"}).json["id"]
    action = {"on": "finding", "connection_id": slack, "operation": "post_message", "fields": {}}
    bad = {**action, "fields": {"text": "{{ finding.theme }} for {{ event.name }}"}}
    assert refused(api.post("/api/v1/recipes", json=recipe_body(campaign_id, actions=[bad]))) == (
        "invalid_template",
        "actions[0].fields.text",
    )
    good = {**action, "fields": {"text": "{{ finding.theme }}: {{ profile.id }}"}}
    assert api.post("/api/v1/recipes", json=recipe_body(campaign_id, actions=[good])).status_code == 201


def test_a_used_campaign_is_not_deleted_and_a_deleted_recipe_is_gone(api: FlaskClient) -> None:
    campaign_id = add_campaign(api)
    recipe = add_recipe(api, campaign_id)
    assert api.delete(f"/api/v1/campaigns/{campaign_id}").status_code == 409
    assert api.delete(f"/api/v1/recipes/{recipe['id']}").status_code == 204
    assert api.get(f"/api/v1/recipes/{recipe['id']}").status_code == 404
    assert api.delete(f"/api/v1/campaigns/{campaign_id}").status_code == 204


def test_suppression_rules_are_read_and_replaced(api: FlaskClient) -> None:
    first = api.get("/api/v1/suppression").json
    assert first["rules"] == [] and first["id"] == 1
    rules = {
        "rules": [
            {
                "name": "opted out",
                "conditions": {"all": [{"field": "traits.research_opt_out", "op": "eq", "value": True}]},
            },
            {
                "name": "internal",
                "conditions": {"any": [{"field": "traits.email", "op": "contains", "value": "@us.example"}]},
            },
        ]
    }
    saved = api.put("/api/v1/suppression", json=rules)
    assert saved.status_code == 200 and saved.json["rules"] == rules["rules"]
    assert api.get("/api/v1/suppression").json["rules"] == rules["rules"]
    bad = {
        "rules": [{"name": "x", "conditions": {"all": [{"field": "traits.a", "op": "gt", "value": True}]}}]
    }
    assert refused(api.put("/api/v1/suppression", json=bad)) == (
        "invalid_request",
        "rules[0].conditions.all[0].value",
    )
