"""GET /api/v1/results, /api/v1/findings and /api/v1/synthesis: filters, shapes and provenance."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.inbound.support import assert_error
from tests.insights.support import World, result

LOW = [{"speaker": "interviewer", "text": "Why?"}, {"speaker": "respondent", "text": "idk"}]


def ids(answer: Any) -> list[int]:
    assert answer.status_code == 200, answer.json
    return [item["id"] for item in answer.json["items"]]


def test_results_are_listed_with_synthesis_and_filtered(world: World, api: FlaskClient) -> None:
    first = world.send(result(world.invite())).json["results"][0]["id"]
    low = world.send(result(world.invite(), transcript=LOW, answers=[])).json["results"][0]["id"]
    orphan = world.send(result(invite_id=2**40)).json["results"][0]["id"]
    world.drain()
    assert ids(api.get("/api/v1/results")) == [orphan, low, first]
    assert ids(api.get("/api/v1/results", query_string={"recipe_id": world.recipe_id})) == [low, first]
    assert ids(api.get("/api/v1/results", query_string={"campaign_id": world.campaign_id})) == [low, first]
    assert ids(api.get("/api/v1/results", query_string={"min_quality": 3})) == [orphan, first]
    assert ids(api.get("/api/v1/results", query_string={"quality": 1})) == [low]
    assert ids(api.get("/api/v1/results", query_string={"status": "done"})) == [orphan, low, first]
    shown = api.get(f"/api/v1/results/{first}").json
    assert ids(api.get("/api/v1/results", query_string={"profile_id": shown["profile_id"]})) == [first]
    assert shown["attributed"] is True and shown["qualifying"] is True
    assert shown["synthesis"]["engine"] == "offline" and shown["synthesis"]["usage"]["cost_usd"] == 0
    assert {"themes", "sentiment", "quotes", "quality", "quality_reason", "transcript", "answers"} <= set(
        shown
    )
    for quote in shown["quotes"]:
        assert shown["transcript"][quote["turn"]]["text"][quote["start"] : quote["end"]] == quote["text"]
    page = api.get("/api/v1/results", query_string={"limit": 2}).json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get("/api/v1/results", query_string={"limit": 2, "cursor": page["next_cursor"]}).json
    assert [r["id"] for r in rest["items"]] == [first] and rest["next_cursor"] is None
    unattributed = api.get(f"/api/v1/results/{orphan}").json
    assert unattributed["attributed"] is False and "no invite" in unattributed["unattributed_reason"]


def test_findings_filter_by_recipe_status_and_period(world: World, api: FlaskClient) -> None:
    for _ in range(5):
        world.send(result(world.invite()))
    world.drain()
    everything = api.get("/api/v1/findings", query_string={"recipe_id": world.recipe_id}).json["items"]
    assert everything and all(f["interviews"] == 5 and f["period"] == "all" for f in everything)
    statuses = {f["theme"]: f["status"] for f in everything}
    assert statuses["Pricing and cost"] == "finding"
    found = api.get("/api/v1/findings", query_string={"status": "finding"}).json["items"]
    assert {f["theme"] for f in found} == {t for t, s in statuses.items() if s == "finding"}
    month = api.get("/api/v1/findings", query_string={"period": "2026-05"}).json["items"]
    assert {f["theme"] for f in month} == set(statuses)
    assert api.get("/api/v1/findings", query_string={"period": "2026-04"}).json["items"] == []
    assert api.get("/api/v1/findings", query_string={"recipe_id": world.recipe_id + 1}).json["items"] == []
    one = api.get(f"/api/v1/findings/{found[0]['id']}").json
    assert one["history"][-1]["share"] == one["share"] and one["changes"][0]["kind"] == "appeared"
    assert {"result_id", "turn", "start", "end", "text"} <= set(one["quotes"][0])


def test_synthesis_status_offline(world: World, api: FlaskClient) -> None:
    world.send(result(world.invite()))
    world.drain()
    status = api.get("/api/v1/synthesis").json
    assert status["engine"] == "offline" and status["paused"] is False and status["reason"] is None
    assert status["results"] == {"done": 1} and status["spent_usd"] == 0


def test_bad_filters_are_400_naming_them(api: FlaskClient) -> None:
    for path, query, field in [
        ("/api/v1/results", {"recipe_id": str(2**63)}, "recipe_id"),
        ("/api/v1/results", {"quality": "6"}, "quality"),
        ("/api/v1/results", {"min_quality": "x"}, "min_quality"),
        ("/api/v1/results", {"status": "lost"}, "status"),
        ("/api/v1/results", {"colour": "red"}, "colour"),
        ("/api/v1/findings", {"status": "maybe"}, "status"),
        ("/api/v1/findings", {"period": "2026-13"}, "period"),
        ("/api/v1/findings", {"recipe_id": "0"}, "recipe_id"),
        ("/api/v1/findings", {"cursor": "%%%"}, "cursor"),
    ]:
        assert_error(api.get(path, query_string=query), 400, field)
    assert api.get("/api/v1/results/99").status_code == 404
    assert api.get("/api/v1/findings/99").status_code == 404
