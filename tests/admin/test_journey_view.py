"""The journey view: each stage's intended and actual rate, its gap and cost, the findings of
its recipe beside the drop-off with quotes linking to their transcripts, segments, history."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.journeys.support import World, add_journey, add_recipe, journey_body

YEAR = {"days": "365"}


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


def test_a_drop_off_shows_its_findings_beside_it(
    app: Flask, admin: FlaskClient, api: FlaskClient, world: World
) -> None:
    recipe_id = add_recipe(api)
    world.findings(recipe_id, [["price", "setup"], ["price"], ["price", "support"], ["setup"]])
    world.known_funnel()
    body = journey_body()
    body["stages"][2]["recipe_id"] = recipe_id
    journey_id = int(api.post("/api/v1/journeys", json=body).json["id"])
    funnel = api.get(f"/api/v1/journeys/{journey_id}/funnel").json["stages"]
    page = admin.get(f"/admin/journeys/{journey_id}/", query_string=YEAR).get_data(as_text=True)
    checkout = page.split('id="stage-3"')[1].split('id="stage-4"')[0]
    assert "The price was more than a team of three could justify." in checkout
    assert re.search(r'aria-label="price: 75%"', checkout)
    assert re.search(r'href="/admin/result/details/\?id=\d+">transcript</a>', checkout)
    for stage in funnel[:-1]:
        assert f"{round(stage['actual_rate'] * 100)}% actual" in page
        assert f"{round(stage['intended_rate'] * 100)}%" in page
    assert 'id="stage-2"' in page and "Ask why" in page, "a stage without a recipe offers to ask"
    assert "No snapshot yet" in page


def test_segments_and_the_history_of_each_stage(
    app: Flask, admin: FlaskClient, api: FlaskClient, world: World
) -> None:
    world.known_funnel()
    journey_id = add_journey(api)
    assert api.post(f"/api/v1/journeys/{journey_id}/snapshots").status_code == 201
    page = admin.get(
        f"/admin/journeys/{journey_id}/", query_string={**YEAR, "segment": "traits.plan"}
    ).get_data(as_text=True)
    assert "Rate to the next stage by traits.plan" in page
    assert '<th scope="row">pro</th>' in page
    assert page.count("<polyline") == 3, "one line per stage that has a next one"
    listing = admin.get("/admin/journeys/").get_data(as_text=True)
    assert "Trial to paid" in listing
    assert admin.get("/admin/journeys/999999/").status_code == 404
