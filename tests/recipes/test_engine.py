"""The engine behind a stored event: a decision per event x matching recipe, invites, caps."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import decisions, invites, journey_event, source, store


def test_a_matching_event_becomes_an_invite_and_a_decision_naming_the_version(
    app: Flask, api: FlaskClient
) -> None:
    campaign_id = add_campaign(api)
    recipe = add_recipe(api, campaign_id)
    other = add_recipe(api, campaign_id, trigger={"type": "event", "event": "something_else"})
    connection_id = source(app)
    [event_id] = store(app, connection_id, journey_event("trial_expired", "u1", {"cart_value": 80}))
    [made] = decisions(app)
    assert (made.event_id, made.recipe_id, made.recipe_version, made.outcome) == (
        event_id,
        recipe["id"],
        1,
        "invited",
    )
    [invite] = invites(app)
    assert (invite.event_id, invite.campaign_id, invite.status) == (event_id, campaign_id, "pending")
    assert other["id"] not in {d.recipe_id for d in decisions(app)}


def test_a_failing_step_is_a_skipped_decision_with_its_reason(app: Flask, api: FlaskClient) -> None:
    campaign_id = add_campaign(api)
    add_recipe(api, campaign_id)
    store(app, source(app), journey_event("trial_expired", "u1", {"cart_value": 20}))
    [made] = decisions(app)
    assert (made.outcome, made.step, made.reason) == (
        "skipped",
        "conditions",
        "properties.cart_value is 20, wanted gt 50",
    )
    assert invites(app) == []


def test_the_person_cap_holds_across_campaigns_and_an_edit_is_a_new_version(
    app: Flask, api: FlaskClient
) -> None:
    first = add_recipe(api, add_campaign(api), conditions=None)
    second = add_recipe(
        api, add_campaign(api, name="Second"), conditions=None, trigger={"type": "event", "event": "churned"}
    )
    connection_id = source(app)
    store(app, connection_id, journey_event("trial_expired", "u1"))
    store(app, connection_id, journey_event("churned", "u1"))
    outcomes = {d.recipe_id: (d.outcome, d.reason) for d in decisions(app)}
    assert outcomes[first["id"]][0] == "invited"
    assert outcomes[second["id"]] == ("skipped", "invited to a study in the last 90 days")
    body = {**second, "caps": {"per_person_days": 0}}
    for key in ("id", "version", "created_at", "updated_at"):
        body.pop(key)
    assert api.put(f"/api/v1/recipes/{second['id']}", json=body).json["version"] == 2
    store(app, connection_id, journey_event("churned", "u1"))
    latest = decisions(app)[-1]
    assert (latest.recipe_id, latest.recipe_version, latest.outcome) == (second["id"], 2, "invited")
    assert len(invites(app)) == 2


def test_once_per_campaign_and_deferral_when_capped(app: Flask, api: FlaskClient) -> None:
    recipe = add_recipe(
        api, add_campaign(api), conditions=None, caps={"per_person_days": 0, "when_capped": "defer"}
    )
    connection_id = source(app)
    store(app, connection_id, journey_event("trial_expired", "u1"), journey_event("trial_expired", "u2"))
    store(app, connection_id, journey_event("trial_expired", "u1"))
    made = decisions(app)
    assert [d.outcome for d in made] == ["invited", "invited", "deferred"]
    assert made[-1].reason.startswith("already invited to this campaign; trying again")
    assert made[-1].retry_at is not None and recipe["id"] == made[-1].recipe_id


def test_suppression_sampling_and_quiet_hours(app: Flask, api: FlaskClient) -> None:
    rule = {
        "name": "internal",
        "conditions": {"all": [{"field": "traits.email", "op": "contains", "value": "@us.example"}]},
    }
    assert api.put("/api/v1/suppression", json={"rules": [rule]}).status_code == 200
    add_recipe(api, add_campaign(api), conditions=None, quiet_hours={"start": "00:00", "end": "23:59"})
    connection_id = source(app)
    store(app, connection_id, journey_event("trial_expired", "staff", email="ann@us.example"))
    store(
        app,
        connection_id,
        journey_event("trial_expired", "customer", email="bo@them.example", timezone="Asia/Tokyo"),
    )
    suppressed, scheduled = decisions(app)
    assert (suppressed.outcome, suppressed.step) == ("skipped", "suppression")
    assert scheduled.outcome == "scheduled"
    [invite] = invites(app)
    assert invite.status == "scheduled" and invite.due_at > scheduled.at


def test_evaluating_an_event_again_decides_and_invites_nothing_twice(app: Flask, api: FlaskClient) -> None:
    from hub.db import db
    from recipes.engine.engine import evaluate

    add_recipe(api, add_campaign(api), conditions=None)
    event_ids = store(app, source(app), journey_event("trial_expired", "u1"))
    with app.app_context():
        assert evaluate(db.session, event_ids).events == 0
    assert len(decisions(app)) == 1 and len(invites(app)) == 1
