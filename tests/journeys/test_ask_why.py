"""Ask why in one step: a disabled absence recipe for those who reached a stage and went no further."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.journeys.support import journey_body

LEADING = re.compile(
    r"\b(why|not|didn't|don't|fail|wrong|problem|bad|hard|difficult|confus|frustrat|easy|great)", re.I
)


def campaign(api: FlaskClient) -> int:
    body = {"name": "Leavers", "interview_url": "https://interviews.example.com/l", "channel": "webhook"}
    return int(api.post("/api/v1/campaigns", json=body).json["id"])


def test_the_recipe_is_disabled_aimed_and_attached(api: FlaskClient) -> None:
    body = journey_body()
    body["stages"][1]["conditions"] = {"field": "traits.plan", "op": "in", "value": ["pro", "team"]}
    journey_id = int(api.post("/api/v1/journeys", json=body).json["id"])
    campaign_id = campaign(api)
    answer = api.post(f"/api/v1/journeys/{journey_id}/stages/2/recipe", json={"campaign_id": campaign_id})
    assert answer.status_code == 201, answer.json
    recipe = answer.json["recipe"]
    assert recipe["enabled"] is False and recipe["campaign_id"] == campaign_id
    assert recipe["trigger"] == {
        "type": "absence",
        "event": "trial_started",
        "missing": "checkout",
        "within_days": 7,
        "backfill": False,
    }
    assert recipe["conditions"] == body["stages"][1]["conditions"]
    assert recipe["name"] == "Why people leave Trial to paid at Trial"
    assert api.get(f"/api/v1/recipes/{recipe['id']}").json["enabled"] is False
    stages = api.get(f"/api/v1/journeys/{journey_id}").json["stages"]
    assert [s["recipe_id"] for s in stages] == [None, recipe["id"], None, None]


def test_the_suggested_question_is_open_and_does_not_lead(api: FlaskClient) -> None:
    journey_id = int(api.post("/api/v1/journeys", json=journey_body()).json["id"])
    body = {"campaign_id": campaign(api), "name": "Checkout leavers"}
    answer = api.post(f"/api/v1/journeys/{journey_id}/stages/3/recipe", json=body)
    assert answer.status_code == 201 and answer.json["recipe"]["name"] == "Checkout leavers"
    question = answer.json["suggested_question"]
    assert question["type"] == "open_ended" and question["text"].endswith("?")
    assert "Checkout" in question["text"] and "Paid" not in question["text"]
    assert not LEADING.search(question["text"]), question["text"]
    assert "disabled" in answer.json["note"]


def test_only_a_stage_with_a_next_one_and_a_real_campaign(api: FlaskClient) -> None:
    journey_id = int(api.post("/api/v1/journeys", json=journey_body()).json["id"])
    path = f"/api/v1/journeys/{journey_id}/stages"
    campaign_id = campaign(api)
    assert api.post(f"{path}/4/recipe", json={"campaign_id": campaign_id}).status_code == 404
    assert api.post(f"{path}/9/recipe", json={"campaign_id": campaign_id}).status_code == 404
    assert (
        api.post("/api/v1/journeys/999/stages/1/recipe", json={"campaign_id": campaign_id}).status_code == 404
    )
    unknown = api.post(f"{path}/1/recipe", json={"campaign_id": 999})
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "unknown_campaign"
    assert unknown.json["error"]["details"][0]["field"] == "campaign_id"
    for bad in ({}, {"campaign_id": "1"}, {"campaign_id": 1, "extra": True}, {"campaign_id": 1, "name": ""}):
        answer = api.post(f"{path}/1/recipe", json=bad)
        assert answer.status_code == 400, bad
    assert api.get("/api/v1/recipes").json["items"] == []
