"""Dry runs and backtests answer what the engine would do and change no row."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import Base, db, utcnow
from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import journey_event, person, put_event, source, store


def every_row(app: Flask) -> dict[str, list[tuple[object, ...]]]:
    """Every table but the token's `last_used_at`, which the API's guard records on each call."""
    with app.app_context():
        return {
            table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name != "api_tokens"
        }


def test_a_dry_run_walks_every_step_and_writes_nothing(app: Flask, api: FlaskClient) -> None:
    recipe = add_recipe(
        api, add_campaign(api), screener={"all": [{"field": "traits.plan", "op": "eq", "value": "pro"}]}
    )
    [stored] = store(app, source(app), journey_event("trial_expired", "u1", {"cart_value": 70}, plan="pro"))
    before = every_row(app)
    url = f"/api/v1/recipes/{recipe['id']}/dry-run"
    sample = {
        "event": "trial_expired",
        "user_id": "u1",
        "properties": {"cart_value": 70},
        "traits": {"plan": "pro"},
    }
    answer = api.post(url, json={"event": sample}).json
    assert answer["outcome"] == "skipped"  # u1 was invited when the event was stored: the cap holds
    assert [(s["step"], s["passed"]) for s in answer["steps"]] == [
        ("trigger", True),
        ("conditions", True),
        ("screener", True),
        ("suppression", True),
        ("sampling", True),
        ("quiet_hours", True),
        ("caps", False),
    ]
    newcomer = api.post(url, json={"event": {**sample, "user_id": "someone-new"}}).json
    assert newcomer["outcome"] == "invited"
    from_store = api.post(url, json={"event_id": stored}).json
    assert (from_store["outcome"], from_store["steps"][-1]["step"]) == ("skipped", "caps")
    screened = api.post(url, json={"event": {**sample, "user_id": "other", "traits": {"plan": "free"}}}).json
    assert screened["outcome"] == "skipped"
    assert screened["steps"][-1] == {
        "step": "screener",
        "passed": False,
        "detail": "traits.plan is 'free', wanted eq 'pro'",
    }
    wrong = api.post(url, json={"event": {**sample, "event": "signed_up"}}).json
    assert wrong["steps"] == [
        {
            "step": "trigger",
            "passed": False,
            "detail": "the recipe is triggered by trial_expired, not signed_up",
        }
    ]
    assert api.post(url, json={}).status_code == 400
    assert api.post(url, json={"event_id": 999}).status_code == 404
    assert every_row(app) == before


def test_a_backtest_replays_stored_events_with_caps_in_memory(app: Flask, api: FlaskClient) -> None:
    connection_id = source(app)
    people = [person(app, plan="pro" if n % 2 else "free") for n in range(6)]
    now = utcnow()
    for day in range(3):
        for someone in people:
            put_event(app, connection_id, someone, "trial_expired", now - timedelta(days=day, hours=1))
    put_event(app, connection_id, people[0], "trial_expired", now - timedelta(days=40))
    screener = {"all": [{"field": "traits.plan", "op": "eq", "value": "pro"}]}
    recipe = add_recipe(api, add_campaign(api), conditions=None, screener=screener, caps={"daily_budget": 2})
    before = every_row(app)
    answer = api.post(f"/api/v1/recipes/{recipe['id']}/backtest", json={"days": 30}).json
    assert answer["held_back"] == {"caps": 6, "suppression": 0, "screener": 9, "conditions": 0, "sampling": 0}
    assert answer["invites"] == 3  # two on the first day (its budget), the third pro person the next
    assert [d["invites"] for d in answer["per_day"]] == [2, 1]
    assert every_row(app) == before
