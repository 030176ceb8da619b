"""POST /api/v1/insights/ask over stored interviews: the answer's shape, citations that are exact
spans of respondent turns, the filters, the quality threshold, and the 400s of bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hub.db import db
from hub.models import AskPassage, InterviewResult
from recipes.insights.quotes import is_exact
from tests.ask.support import INTERVIEWS, START, labelled, stored
from tests.insights.support import World

ASK = "/api/v1/insights/ask"


def ask(world: World, **body: Any) -> dict[str, Any]:
    answer = world.api.post(ASK, json={"question": "Why is it too expensive?"} | body)
    assert answer.status_code == 200, answer.json
    return dict(answer.json)


def interview(label: str) -> dict[str, Any]:
    return next(i for i in INTERVIEWS if i["id"] == label)


def test_an_answer_cites_exact_spans_of_respondent_turns(world: World) -> None:
    ids = labelled(world.app, world.connection_id, world.recipe_id)
    body = ask(world, question="Why do trials not convert because of the price?")
    assert set(body) >= {"answer", "citations", "themes", "interviews_considered"}
    assert body["interviews_considered"] == 61  # the 8 below the quality threshold are left out
    assert body["engine"] == "offline" and body["note"] is None
    assert body["themes"][0]["label"] == "Pricing and cost"
    assert body["themes"][0]["interviews"] == 11 and body["themes"][0]["share"] == round(11 / 61, 3)
    assert ids["p01"] in {c["result_id"] for c in body["citations"]}
    assert body["citations"] and "[1]" in body["answer"]
    for citation in body["citations"]:
        result = world.api.get(f"/api/v1/results/{citation['result_id']}").json
        quote = {"text": citation["quote"]} | {k: citation[k] for k in ("turn", "start", "end")}
        assert is_exact(quote, result["transcript"]), citation


def test_results_below_the_quality_threshold_only_when_asked(world: World) -> None:
    ids = labelled(world.app, world.connection_id, world.recipe_id)
    question = "Who went out for pizza after football?"
    left_out = ask(world, question=question)
    assert ids["l05"] not in {c["result_id"] for c in left_out["citations"]}
    asked = ask(world, question=question, include_low_quality=True)
    assert asked["interviews_considered"] == 69
    assert ids["l05"] in {c["result_id"] for c in asked["citations"]}


def test_filters_by_recipe_segment_and_time(world: World) -> None:
    ids = labelled(world.app, world.connection_id, world.recipe_id)
    later = START + timedelta(days=100)
    other = stored(
        world.app, world.connection_id, None, interview("p02"), completed_at=later, traits={"plan": "team"}
    )
    everyone = ask(world)
    assert everyone["interviews_considered"] == 62
    mine = ask(world, recipe_id=world.recipe_id)
    assert mine["interviews_considered"] == 61 and other not in {c["result_id"] for c in mine["citations"]}
    assert ask(world, recipe_id=world.recipe_id + 1000)["interviews_considered"] == 0
    team = ask(world, segment="traits.plan=team")
    teams = {ids[i["id"]] for n, i in enumerate(INTERVIEWS) if n % 2} | {other}
    assert team["citations"] and {c["result_id"] for c in team["citations"]} <= teams
    window = ask(world, since=START.isoformat(), until=(START + timedelta(days=5)).isoformat())
    assert window["interviews_considered"] == 5  # p01..p05, a day apart
    assert {c["result_id"] for c in window["citations"]} <= {ids[f"p0{n}"] for n in range(1, 6)}


def test_a_journey_stage_asks_about_its_recipe(world: World) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    journey = {
        "name": "Trial to paid",
        "window_days": 14,
        "stages": [
            {"name": "Trial", "event": "trial_started"},
            {"name": "Paid", "event": "paid", "intended_rate": 0.5, "recipe_id": world.recipe_id},
        ],
    }
    created = world.api.post("/api/v1/journeys", json=journey)
    assert created.status_code == 201, created.json
    journey_id = created.json["id"]
    assert ask(world, journey_id=journey_id)["interviews_considered"] == 61
    assert ask(world, journey_id=journey_id, stage=0)["interviews_considered"] == 0
    assert ask(world, journey_id=journey_id, stage=1)["interviews_considered"] == 61
    wrong = world.api.post(ASK, json={"question": "why", "journey_id": journey_id, "stage": 2})
    assert wrong.status_code == 400 and wrong.json["error"]["details"][0]["field"] == "stage"


def test_a_result_is_searchable_as_soon_as_it_is_stored_and_gone_when_deleted(world: World) -> None:
    world.send(_webhook(world.invite()))
    world.drain()
    with world.app.app_context():
        [row] = db.session.scalars(sa.select(InterviewResult)).all()
        turns = db.session.scalars(sa.select(AskPassage.turn).where(AskPassage.result_id == row.id)).all()
        assert sorted(turns) == [1, 3]  # the respondent's turns only
    body = ask(world, question="How was the onboarding?", include_low_quality=True)
    assert [c["result_id"] for c in body["citations"]] == [row.id]
    assert (
        body["citations"][0]["quote"]
        == "Setting it up took us two weeks because the onboarding was confusing."
    )
    with world.app.app_context():
        db.session.execute(sa.delete(InterviewResult))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AskPassage)) == 0
    assert ask(world, question="How was the onboarding?", include_low_quality=True)["citations"] == []


def _webhook(invite_id: int) -> dict[str, Any]:
    from tests.insights.support import result

    return result(invite_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "nul \x00 byte"}, "question"),
        ({"question": "why", "recipe_id": 0}, "recipe_id"),
        ({"question": "why", "recipe_id": "seven"}, "recipe_id"),
        ({"question": "why", "segment": "plan=team"}, "segment"),
        ({"question": "why", "since": "yesterday"}, "since"),
        ({"question": "why", "since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"}, "until"),
        ({"question": "why", "stage": 1}, "stage"),
        ({"question": "why", "journey_id": 9999}, "journey_id"),
        ({"question": "why", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world: World, body: dict[str, Any], field: str) -> None:
    answer = world.api.post(ASK, json=body)
    assert answer.status_code == 400, answer.json
    error = answer.json["error"]
    assert field in error["message"] and any(field in d["field"] for d in error["details"])


@pytest.mark.parametrize(
    "question",
    [
        "' OR 1=1 --",
        'NEAR("price" "team") AND * ^ "',
        "price:* & !team | (",
        "¿Por qué? 価格が高い 🙃",
        "-- ;; ** ??",
        "a the of why",
    ],
)
def test_hostile_questions_are_answered_not_crashed(world: World, question: str) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    body = ask(world, question=question)
    assert body["interviews_considered"] == 61
