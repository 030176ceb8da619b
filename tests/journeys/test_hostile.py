"""Hostile input on the journey endpoints: a clear 4xx in the error shape naming the field, and
nothing saved. (The id ranges of every route are covered by tests/api/test_hostile_input.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.test_hostile_input import assert_error
from tests.journeys.support import add_journey, journey_body

INT64_MAX = 2**63 - 1


def with_stage(index: int, **change: Any) -> dict[str, Any]:
    body = journey_body()
    body["stages"][index].update(change)
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (with_stage(0, name="a\x00b"), "stages.0.name"),  # named by the API's text guard
        (with_stage(1, event="x" * 201), "stages[1].event"),
        (with_stage(2, feeling="f" * 2001), "stages[2].feeling"),
        (with_stage(2, recipe_id=INT64_MAX + 1), "stages[2].recipe_id"),
        (with_stage(2, recipe_id=True), "stages[2].recipe_id"),
        (with_stage(1, value=1e13), "stages[1].value"),
        (with_stage(1, intended_rate="0.5"), "stages[1].intended_rate"),
        (
            with_stage(1, conditions={"field": "properties.x", "op": "in", "value": list(range(1001))}),
            "stages[1].conditions.value",
        ),
        (
            with_stage(1, conditions={"field": "properties.a.b.c.d.e.f", "op": "eq", "value": 1}),
            "stages[1].conditions.field",
        ),
        (
            with_stage(1, conditions={"field": "properties.x'--", "op": "eq", "value": 1}),
            "stages[1].conditions.field",
        ),
        (with_stage(1, conditions={"all": []}), "stages[1].conditions.all"),
        (with_stage(1, conditions=[]), "stages[1].conditions.op"),
        (journey_body(stages=[{"name": f"s{n}", "event": "e"} for n in range(21)]), "stages"),
        (journey_body(window_days=10**9), "window_days"),
        (journey_body(snapshot_every_hours=0), "snapshot_every_hours"),
        (journey_body(alert_min_entered=-1), "alert_min_entered"),
    ],
)
def test_bad_journeys_are_400_and_not_saved(api: FlaskClient, body: dict[str, Any], field: str) -> None:
    assert_error(api.post("/api/v1/journeys", json=body), 400, field)
    assert api.get("/api/v1/journeys").json["items"] == []


def test_text_no_database_can_store_is_400(api: FlaskClient) -> None:
    body = json.dumps(journey_body()).replace('"Signed up"', '"Signed \\ud800 up"')
    assert_error(
        api.post("/api/v1/journeys", data=body, content_type="application/json"), 400, "stages.0.name"
    )


def test_conditions_nested_past_the_limit_are_400(api: FlaskClient) -> None:
    condition: dict[str, Any] = {"field": "properties.x", "op": "eq", "value": 1}
    for _ in range(200):
        condition = {"any": [condition]}
    assert_error(api.post("/api/v1/journeys", json=with_stage(1, conditions=condition)), 400)


def test_bodies_that_are_not_journeys(api: FlaskClient) -> None:
    assert_error(api.post("/api/v1/journeys", data="name=x", content_type="text/plain"), 415)
    assert_error(api.post("/api/v1/journeys", data="[1, 2]", content_type="application/json"), 400)
    bad_number = json.dumps(journey_body()).replace('"window_days": 7', '"window_days": NaN')
    answer = api.post("/api/v1/journeys", data=bad_number, content_type="application/json")
    assert assert_error(answer, 400)["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"segment": "traits.plan'; DROP TABLE events; --"}, "segment"),
        ({"segment": "traits." + "p" * 101}, "segment"),
        ({"segment": "traits"}, "segment"),
        ({"since": "9999-12-31T23:59:59-23:59"}, "since"),
        ({"until": "12345"}, "until"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"limit": "5"}, "limit"),
    ],
)
def test_bad_funnel_queries_are_400_naming_the_parameter(
    api: FlaskClient, query: dict[str, str], field: str
) -> None:
    journey_id = add_journey(api)
    assert_error(api.get(f"/api/v1/journeys/{journey_id}/funnel", query_string=query), 400, field)


def test_stage_numbers_out_of_range_are_404(api: FlaskClient) -> None:
    journey_id = add_journey(api)
    for number in ("0", "-1", "5", str(INT64_MAX), str(INT64_MAX + 1), "x"):
        answer = api.post(f"/api/v1/journeys/{journey_id}/stages/{number}/recipe", json={"campaign_id": 1})
        assert_error(answer, 404)
