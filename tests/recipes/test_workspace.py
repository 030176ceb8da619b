"""The workspace's time zone and default cap through the API, and what the engine does with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db, utcnow
from hub.models import CapClaim
from recipes.engine.engine import evaluate
from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import decisions, person, put_event, source


def test_the_workspace_defaults_are_read_and_replaced(api: FlaskClient) -> None:
    first = api.get("/api/v1/workspace")
    assert first.status_code == 200
    assert (first.json["timezone"], first.json["per_person_days"]) == ("UTC", 90)
    assert {"id", "created_at", "updated_at"} <= set(first.json)
    replaced = api.put("/api/v1/workspace", json={"timezone": "Europe/Paris", "per_person_days": 30})
    assert replaced.status_code == 200
    again = api.get("/api/v1/workspace").json
    assert (again["timezone"], again["per_person_days"]) == ("Europe/Paris", 30)
    assert api.put("/api/v1/workspace", json={}).json["timezone"] == "UTC"  # PUT replaces


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": 1}, "timezone"),
        ({"per_person_days": 0}, "per_person_days"),
        ({"per_person_days": -5}, "per_person_days"),
        ({"per_person_days": "30"}, "per_person_days"),
        ({"per_person_days": 3651}, "per_person_days"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_workspace_setting_that_cannot_work_is_400_naming_it(
    api: FlaskClient, body: dict[str, Any], field: str
) -> None:
    before = api.get("/api/v1/workspace").json
    answer = api.put("/api/v1/workspace", json=body)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "invalid_request"
    assert [d["field"] for d in answer.json["error"]["details"]] == [field]
    assert api.get("/api/v1/workspace").json == before


def test_the_default_cap_across_campaigns_is_the_workspaces(app: Flask, api: FlaskClient) -> None:
    api.put("/api/v1/workspace", json={"per_person_days": 7})
    first = add_recipe(api, add_campaign(api), conditions=None)
    second = add_recipe(
        api, add_campaign(api), conditions=None, trigger={"type": "event", "event": "churned"}
    )
    connection_id, someone = source(app), person(app)
    now = utcnow()
    with app.app_context():
        evaluate(db.session, [put_event(app, connection_id, someone, "trial_expired", now)])
        evaluate(db.session, [put_event(app, connection_id, someone, "churned", now)])
    outcomes = {d.recipe_id: (d.outcome, d.reason) for d in decisions(app)}
    assert outcomes[first["id"]][0] == "invited"
    assert outcomes[second["id"]] == ("skipped", "invited to a study in the last 7 days")


def test_the_daily_budget_counts_the_workspaces_calendar_day(app: Flask, api: FlaskClient) -> None:
    """23:00 and 01:00 UTC are two UTC days but one afternoon in Los Angeles: one budget of 1."""
    api.put("/api/v1/workspace", json={"timezone": "America/Los_Angeles"})
    campaign_id = add_campaign(api)
    add_recipe(api, campaign_id, conditions=None, caps={"daily_budget": 1})
    connection_id = source(app)
    late, early = datetime(2026, 11, 23, 23, 0, tzinfo=UTC), datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    stored = utcnow()
    with app.app_context():
        evaluate(db.session, [put_event(app, connection_id, person(app), "trial_expired", stored)], late)
        evaluate(db.session, [put_event(app, connection_id, person(app), "trial_expired", stored)], early)
        keys = list(db.session.scalars(sa.select(CapClaim.key).where(CapClaim.key.startswith("budget:"))))
    assert keys == [f"budget:{campaign_id}:2026-11-23"]
    assert [(d.outcome, d.reason) for d in decisions(app)] == [
        ("invited", "every step passed; due now"),
        ("skipped", "the campaign's daily budget of 1 is spent"),
    ]
