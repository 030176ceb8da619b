"""Snapshots on a schedule give each stage's rate a history; a rate that moves by more than the
journey's alert_change records one journey-changed event, with the top reasons beside it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db, utcnow
from hub.models import Journey, JourneyChange, JourneySnapshot
from hub.runtime.schedule import PERIODIC
from recipes.journeys.jobs import snapshot_due_journeys, snapshot_journey
from tests.journeys.support import World, add_recipe, journey_body

ALERTS = {"alert_change": 0.1, "alert_min_entered": 4, "snapshot_days": 7}


def people(world: World, signed_up: int, started: int) -> None:
    """`signed_up` people two days ago, the first `started` of them starting a trial an hour later."""
    at = utcnow() - timedelta(days=2)
    for n in range(signed_up):
        events = [("signed_up", at)]
        if n < started:
            events.append(("trial_started", at + timedelta(hours=1)))
        world.person(*events)


def snapshot(api: FlaskClient, journey_id: int) -> dict[str, object]:
    answer = api.post(f"/api/v1/journeys/{journey_id}/snapshots")
    assert answer.status_code == 201, answer.json
    return dict(answer.json)


def test_a_moved_rate_is_told_once_with_its_reasons(api: FlaskClient, world: World) -> None:
    recipe_id = add_recipe(api, "signed_up")
    world.findings(recipe_id, [["price"], ["price", "setup"], ["setup"]])
    body = journey_body(**ALERTS)
    body["stages"][0]["recipe_id"] = recipe_id
    journey_id = int(api.post("/api/v1/journeys", json=body).json["id"])
    people(world, 10, 5)
    first = snapshot(api, journey_id)
    assert first["changes"] == []  # the first snapshot sets the baseline
    assert [s["actual_rate"] for s in first["stages"]] == [0.5, 0.0, None, None]  # type: ignore[index]
    people(world, 10, 0)
    second = snapshot(api, journey_id)
    (change,) = second["changes"]  # type: ignore[misc]
    assert (change["stage"], change["rate_before"], change["rate"], change["entered"]) == (1, 0.5, 0.25, 20)
    assert change["summary"] == (
        "Signed up → Trial fell from 50% to 25% over the last 7 days; top reasons: price (67%), setup (67%)"
    )
    assert [r["theme"] for r in change["reasons"]] == ["price", "setup"]
    assert snapshot(api, journey_id)["changes"] == []  # the same rate again is not news
    people(world, 1, 0)
    assert snapshot(api, journey_id)["changes"] == []  # 5/21 is within alert_change of 25%
    history = api.get(f"/api/v1/journeys/{journey_id}/snapshots").json["items"]
    assert [h["stages"][0]["actual_rate"] for h in history] == [0.2381, 0.25, 0.25, 0.5]
    changes = api.get(f"/api/v1/journeys/{journey_id}/changes").json["items"]
    assert [c["id"] for c in changes] == [change["id"]]
    assert changes[0]["handled_at"] is not None  # handled when recorded, whether or not an action wanted it


def test_too_few_people_say_nothing(api: FlaskClient, world: World) -> None:
    journey_id = int(api.post("/api/v1/journeys", json=journey_body(**ALERTS)).json["id"])
    people(world, 3, 3)
    snapshot(api, journey_id)
    people(world, 3, 0)  # 6 people now, rate halved, but the baseline was never set with 3
    assert snapshot(api, journey_id)["changes"] == []
    people(world, 6, 0)
    assert snapshot(api, journey_id)["changes"] != []


def test_the_schedule_takes_each_due_snapshot_once(app: Flask, api: FlaskClient, world: World) -> None:
    assert [p.every_s for p in PERIODIC if p.fn is snapshot_due_journeys] == [300]
    journey_id = int(api.post("/api/v1/journeys", json=journey_body(**ALERTS)).json["id"])
    people(world, 10, 5)
    with app.app_context():
        assert snapshot_due_journeys() == 1
    assert app.extensions["journeyhub.jobs"].drain(timeout=60)
    with app.app_context():
        assert snapshot_journey(journey_id) == 0  # not due again for 24 hours
        assert snapshot_due_journeys() == 0
        journey = db.session.get(Journey, journey_id)
        assert journey is not None and journey.next_snapshot_at is not None
        assert timedelta(hours=23) < journey.next_snapshot_at - utcnow() <= timedelta(hours=24)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JourneySnapshot)) == 1
        journey.next_snapshot_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    people(world, 10, 0)
    with app.app_context():
        assert snapshot_journey(journey_id) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JourneyChange)) == 1


def test_history_endpoints_name_their_journey(api: FlaskClient) -> None:
    for path in ("snapshots", "changes"):
        assert api.get(f"/api/v1/journeys/12345/{path}").status_code == 404
    assert api.post("/api/v1/journeys/12345/snapshots").status_code == 404
