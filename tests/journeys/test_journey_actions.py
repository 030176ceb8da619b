"""A journey-changed event is pushed by the result actions of the recipe that asks the stage why
(`on: journey_changed`): written with the snapshot that recorded it, once, sent through the
outbox to Slack (the fake, through slack-sdk) and to Linear, where a stage's later change
comments on the issue its first change opened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from connectors.hubspot import fake as hubspot_fake
from connectors.hubspot.fake import HubSpotFake
from connectors.linear.fake import LinearFake
from connectors.slack.fake import SlackFake, start
from hub.db import db
from hub.models import JourneyChange
from tests.actions.support_core import action_rows, connection, linear_fake, run_drain
from tests.journeys.support import World, add_recipe, journey_body
from tests.journeys.test_history import ALERTS, people, snapshot


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with start(per_second=50, burst=50) as server:
        yield server


@pytest.fixture
def hubspot() -> Iterator[HubSpotFake]:
    with hubspot_fake.start(members=10, seed=3) as server:
        yield server


@pytest.fixture
def linear() -> Iterator[LinearFake]:
    with linear_fake() as server:
        yield server


def set_actions(api: FlaskClient, recipe_id: int, *actions: dict[str, Any]) -> Any:
    body = api.get(f"/api/v1/recipes/{recipe_id}").json
    keep = {k: v for k, v in body.items() if k not in ("id", "version", "created_at", "updated_at")}
    return api.put(f"/api/v1/recipes/{recipe_id}", json=keep | {"actions": list(actions)})


def asked_journey(api: FlaskClient, world: World, *actions: dict[str, Any]) -> int:
    """A journey whose first stage is asked why by a recipe with `actions` and two findings."""
    recipe_id = add_recipe(api, "signed_up")
    world.findings(recipe_id, [["price"], ["price", "setup"], ["setup"]])
    answer = set_actions(api, recipe_id, *actions)
    assert answer.status_code == 200, answer.json
    body = journey_body(**ALERTS)
    body["stages"][0]["recipe_id"] = recipe_id
    return int(api.post("/api/v1/journeys", json=body).json["id"])


def test_a_moved_rate_is_posted_to_slack_with_its_reasons_and_quotes(
    app: Flask, api: FlaskClient, world: World, slack: SlackFake
) -> None:
    channel = connection(app, "slack", slack.credentials)
    opening = "{{ journey.stage_name }} is at {{ journey.rate_percent }}% ({{ journey.direction }})"
    action = {"on": "journey_changed", "connection_id": channel, "operation": "post_message"}
    journey_id = asked_journey(api, world, action | {"fields": {"text": opening}})
    people(world, 10, 5)
    snapshot(api, journey_id)
    assert action_rows(app) == []  # the baseline is not news
    people(world, 10, 0)
    (change,) = snapshot(api, journey_id)["changes"]  # type: ignore[misc]
    (row,) = action_rows(app)
    assert row.payload["change_id"] == change["id"] and row.payload["stage"] == 1
    run_drain(app)
    (row,) = action_rows(app)
    assert row.status == "sent", row.last_error
    (message,) = slack.messages()
    text = str(message["blocks"]) + message["text"]
    assert "Signed up is at 25% (fell)" in text
    assert "Signed up → Trial fell from 50% to 25%" in text
    assert "price" in text and "setup" in text
    assert "The price was more than a team of three could justify." in text
    with app.app_context():
        told = db.session.get(JourneyChange, change["id"])
        assert told is not None and told.handled_at is not None
    snapshot(api, journey_id)  # the same rate again: no change, no row
    assert len(action_rows(app)) == 1


def test_a_stage_s_later_change_comments_on_the_issue_its_first_one_opened(
    app: Flask, api: FlaskClient, world: World, linear: LinearFake
) -> None:
    tracker = connection(app, "linear", linear.credentials | {"project_id": linear.project["id"]})
    journey_id = asked_journey(
        api,
        world,
        {"on": "journey_changed", "connection_id": tracker, "operation": "comment"},
        {"on": "finding", "connection_id": tracker, "operation": "create_issue"},
    )
    people(world, 10, 5)
    snapshot(api, journey_id)
    people(world, 10, 0)  # 50% -> 25%: no issue yet, so the comment opens one
    snapshot(api, journey_id)
    run_drain(app)
    people(world, 40, 40)  # 25% -> 75%: a comment on that issue
    snapshot(api, journey_id)
    run_drain(app)
    performed = [(r.status, (r.result or {}).get("operation")) for r in action_rows(app)]
    assert performed == [("sent", "create_issue"), ("sent", "comment")]
    (issue,) = linear.issues.values()
    assert "Trial to paid: Signed up → Trial fell from 50% to 25%" in issue["title"]
    (comment,) = issue["comments"]
    assert "rose from 25% to 75%" in str(comment)


@pytest.mark.parametrize(
    ("action", "path", "code"),
    [
        ({"operation": "update_fields"}, "actions[0].on", "invalid_action"),
        ({"fields": {"text": "{{ result.themes }}"}}, "actions[0].fields.text", "invalid_template"),
        ({"fields": {"text": "{{ finding.theme }}"}}, "actions[0].fields.text", "invalid_template"),
    ],
)
def test_a_journey_action_that_cannot_work_is_400_naming_its_path(
    app: Flask,
    api: FlaskClient,
    slack: SlackFake,
    hubspot: HubSpotFake,
    action: dict[str, Any],
    path: str,
    code: str,
) -> None:
    recipe_id = add_recipe(api, "signed_up")
    base = {"on": "journey_changed", "connection_id": connection(app, "slack", slack.credentials)}
    if action.get("operation") == "update_fields":  # a CRM can update fields, but of one person
        base["connection_id"] = connection(app, "hubspot", hubspot.credentials)
    answer = set_actions(api, recipe_id, base | {"operation": "post_message"} | action)
    assert answer.status_code == 400, answer.json
    error = answer.json["error"]
    assert (error["code"], error["details"][0]["field"]) == (code, path), error
