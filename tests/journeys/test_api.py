"""/api/v1/journeys: saved and validated like recipes, and the funnel overlaid on the map."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.journeys.support import World, add_journey, add_recipe, hours, journey_body

FUNNEL = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-20T00:00:00Z"}


def fields(answer: Any) -> set[str]:
    assert answer.status_code == 400, answer.json
    return {d["field"] for d in answer.json["error"]["details"]}


def test_a_journey_is_saved_read_replaced_and_deleted(api: FlaskClient) -> None:
    journey_id = add_journey(api)
    read = api.get(f"/api/v1/journeys/{journey_id}").json
    assert [s["name"] for s in read["stages"]] == ["Signed up", "Trial", "Checkout", "Paid"]
    assert read["window_days"] == 7 and read["snapshot_every_hours"] == 24
    body = journey_body(name="Renamed")
    body["stages"][2]["feeling"] = "Confident about the price"
    replaced = api.put(f"/api/v1/journeys/{journey_id}", json=body)
    assert replaced.status_code == 200 and replaced.json["name"] == "Renamed"
    assert replaced.json["stages"][2]["feeling"] == "Confident about the price"
    assert [j["id"] for j in api.get("/api/v1/journeys").json["items"]] == [journey_id]
    assert api.delete(f"/api/v1/journeys/{journey_id}").status_code == 204
    assert api.get(f"/api/v1/journeys/{journey_id}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stages": [{"name": "Only", "event": "x"}]}, "stages"),
        ({"window_days": 0}, "window_days"),
        ({"window_days": "7"}, "window_days"),
        ({"name": ""}, "name"),
        ({"alert_change": 0}, "alert_change"),
    ],
)
def test_a_bad_journey_is_400_naming_the_field(api: FlaskClient, change: dict[str, Any], field: str) -> None:
    assert field in fields(api.post("/api/v1/journeys", json=journey_body(**change)))


@pytest.mark.parametrize(
    ("stage", "change", "field"),
    [
        (1, {"intended_rate": 1.5}, "stages[1].intended_rate"),
        (1, {"value": -1}, "stages[1].value"),
        (2, {"colour": "red"}, "stages[2].colour"),
        (3, {"event": None}, "stages[3].event"),
        (
            1,
            {"conditions": {"all": [{"field": "properties.x", "op": "within_days", "value": 3}]}},
            "stages[1].conditions.all[0].op",
        ),
        (
            1,
            {"conditions": {"field": "properties.plan", "op": "gt", "value": "2026-01-01"}},
            "stages[1].conditions.value",
        ),
        (2, {"conditions": {"field": "cart.value", "op": "eq", "value": 1}}, "stages[2].conditions.field"),
    ],
)
def test_a_bad_stage_is_400_naming_its_path(
    api: FlaskClient, stage: int, change: dict[str, Any], field: str
) -> None:
    body = journey_body()
    body["stages"][stage].update(change)
    assert field in fields(api.post("/api/v1/journeys", json=body))


def test_rules_across_the_body_and_the_database_name_the_field(api: FlaskClient) -> None:
    body = journey_body()
    body["stages"][0]["intended_rate"] = 0.5
    answer = api.post("/api/v1/journeys", json=body)
    assert fields(answer) == {"stages[0].intended_rate"} and answer.json["error"]["code"] == "invalid_journey"
    body = journey_body()
    body["stages"][2]["recipe_id"] = 999
    answer = api.post("/api/v1/journeys", json=body)
    assert fields(answer) == {"stages[2].recipe_id"} and answer.json["error"]["code"] == "unknown_recipe"
    assert api.get("/api/v1/journeys").json["items"] == []


def test_conditions_too_big_for_one_statement_are_400(api: FlaskClient) -> None:
    big = {"all": [{"field": "properties.x", "op": "in", "value": list(range(1000))}] * 3}
    body = journey_body()
    body["stages"][1]["conditions"] = big
    answer = api.post("/api/v1/journeys", json=body)
    assert fields(answer) == {"stages[1].conditions"} and answer.json["error"]["code"] == "invalid_journey"
    many = {"any": [{"all": [{"field": "properties.x", "op": "eq", "value": n}] * 50} for n in range(5)]}
    body = journey_body()
    body["stages"][2]["conditions"] = many
    assert fields(api.post("/api/v1/journeys", json=body)) == {"stages[2].conditions"}


def test_the_funnel_overlays_the_map_ranked_by_cost(api: FlaskClient, world: World) -> None:
    world.known_funnel()
    journey_id = add_journey(api)
    answer = api.get(f"/api/v1/journeys/{journey_id}/funnel", query_string=FUNNEL)
    assert answer.status_code == 200, answer.json
    stages = answer.json["stages"]
    assert [(s["entered"], s["converted"]) for s in stages] == [(6, 4), (4, 2), (2, 1), (1, None)]
    # a row is the step to the next stage: the next stage's intended rate against the real one
    assert [s["actual_rate"] for s in stages] == [0.6667, 0.5, 0.5, None]
    assert [s["intended_rate"] for s in stages] == [0.8, 0.75, 0.9, None]
    assert [s["gap"] for s in stages] == [0.1333, 0.25, 0.4, None]
    # cost: entered x gap x the value lost per person who leaves there (no value on the first)
    assert [s["cost"] for s in stages] == [None, 10.0, 32.0, None]
    assert answer.json["by_cost"] == [3, 2]
    assert [s["rank"] for s in stages] == [None, 2, 1, None]
    assert [s["median_hours_to_next"] for s in stages] == [2.0, 13.0, 2.0, None]
    assert [s["skipped_share"] for s in stages] == [0.0, 0.1667, 0.1667, 0.0]
    assert [s["out_of_order_share"] for s in stages] == [0.0, 0.0, 0.1667, 0.3333]
    assert answer.json["segments"] == [] and answer.json["window_days"] == 7


def test_since_and_until_pick_who_entered(api: FlaskClient, world: World) -> None:
    world.known_funnel()
    journey_id = add_journey(api)
    path = f"/api/v1/journeys/{journey_id}/funnel"
    later = api.get(path, query_string={"since": "2026-03-02T09:00:01Z"}).json
    assert [s["entered"] for s in later["stages"]] == [0, 0, 0, 0]
    exact = api.get(
        path, query_string={"since": "2026-03-02T09:00:00Z", "until": "2026-03-02T09:00:01Z"}
    ).json
    assert [s["entered"] for s in exact["stages"]] == [6, 4, 2, 1]
    before = api.get(path, query_string={"until": "2026-03-02T09:00:00Z"}).json
    assert [s["entered"] for s in before["stages"]] == [0, 0, 0, 0]
    far = api.get(path, query_string={"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"})
    assert [s["entered"] for s in far.json["stages"]] == [6, 4, 2, 1]
    everything = api.get(path).json
    assert everything["since"] is None and [s["entered"] for s in everything["stages"]] == [6, 4, 2, 1]


def test_the_funnel_per_segment_shows_who_leaves_where(api: FlaskClient, world: World) -> None:
    world.known_funnel()
    journey_id = add_journey(api)
    answer = api.get(
        f"/api/v1/journeys/{journey_id}/funnel", query_string={**FUNNEL, "segment": "traits.plan"}
    )
    assert answer.status_code == 200, answer.json
    by_value = {s["value"]: s["stages"] for s in answer.json["segments"]}
    assert list(by_value) == ["pro", "team", None]
    assert [s["entered"] for s in by_value["pro"]] == [3, 2, 0, 0]
    assert [s["entered"] for s in by_value["team"]] == [2, 2, 2, 1]
    assert [s["entered"] for s in by_value[None]] == [1, 0, 0, 0]
    assert by_value["pro"][1]["actual_rate"] == 0.0 and by_value["team"][1]["actual_rate"] == 1.0
    assert by_value["pro"][1]["cost"] == 15.0
    assert [s["entered"] for s in answer.json["stages"]] == [6, 4, 2, 1]


def test_stage_conditions_narrow_the_funnel(api: FlaskClient, world: World) -> None:
    world.person(("signed_up", hours(0)), ("trial_started", hours(1)), ("checkout", hours(2), {"cart": 80}))
    world.person(("signed_up", hours(0)), ("trial_started", hours(1)), ("checkout", hours(2), {"cart": 20}))
    body = journey_body()
    body["stages"][2]["conditions"] = {"field": "properties.cart", "op": "gt", "value": 50}
    journey_id = int(api.post("/api/v1/journeys", json=body).json["id"])
    stages = api.get(f"/api/v1/journeys/{journey_id}/funnel", query_string=FUNNEL).json["stages"]
    assert [s["entered"] for s in stages] == [2, 2, 1, 0]


def test_funnel_queries_are_checked(api: FlaskClient) -> None:
    journey_id = add_journey(api)
    path = f"/api/v1/journeys/{journey_id}/funnel"
    assert fields(
        api.get(path, query_string={"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"})
    ) == {"until"}
    assert "segment" in fields(api.get(path, query_string={"segment": "properties.plan"}))
    assert "segment" in fields(api.get(path, query_string={"segment": "traits.pl an"}))
    assert "since" in fields(api.get(path, query_string={"since": "yesterday"}))
    assert "colour" in fields(api.get(path, query_string={"colour": "red"}))
    assert api.get("/api/v1/journeys/999/funnel").status_code == 404


def test_a_stage_recipe_brings_its_findings(api: FlaskClient, world: World) -> None:
    recipe_id = add_recipe(api)
    world.findings(recipe_id, [["price", "setup"], ["price"], ["price", "support"], ["setup"]])
    world.known_funnel()
    body = journey_body()
    body["stages"][2]["recipe_id"] = recipe_id
    journey_id = int(api.post("/api/v1/journeys", json=body).json["id"])
    stages = api.get(f"/api/v1/journeys/{journey_id}/funnel", query_string=FUNNEL).json["stages"]
    found = stages[2]["findings"]
    assert [(f["theme"], f["share"], f["status"]) for f in found] == [
        ("price", 0.75, "finding"),
        ("setup", 0.5, "finding"),
        ("support", 0.25, "finding"),
    ]
    assert found[0]["interviews"] == 4 and found[0]["quotes"][0]["text"].startswith("The price")
    assert stages[2]["recipe_id"] == recipe_id and stages[1]["findings"] == []
