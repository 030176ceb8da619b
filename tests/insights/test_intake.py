"""Results arrive at /hooks/interviews: linked to their invite, stored once, never lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.db import db
from hub.models import Identity, Invite
from recipes.campaigns.links import invite_token
from tests.inbound.support import assert_error
from tests.insights.support import ANSWERS, World, result


def test_a_result_is_linked_to_its_invite_and_completes_it(world: World) -> None:
    invite_id = world.invite()
    answer = world.send(result(invite_id))
    assert answer.status_code == 200, answer.json
    assert answer.json["accepted"] == 1 and answer.json["duplicates"] == 0
    assert answer.json["results"][0]["attributed"] is True
    world.drain()
    [row] = world.rows()
    assert (row.invite_id, row.recipe_id, row.campaign_id) == (invite_id, world.recipe_id, world.campaign_id)
    assert row.profile_id is not None and row.event_id is not None
    assert row.unattributed_reason is None
    assert world.invite_status(invite_id) == "completed"
    assert row.synthesis_status == "done" and row.engine == "offline"


def test_the_same_result_id_twice_is_stored_once(world: World) -> None:
    invite_id = world.invite()
    body = result(invite_id)
    first, second = world.send(body), world.send(body)
    assert (first.json["accepted"], second.json["accepted"], second.json["duplicates"]) == (1, 0, 1)
    assert first.json["results"][0]["id"] == second.json["results"][0]["id"]
    world.drain()
    assert len(world.rows()) == 1


@pytest.mark.parametrize("case", ["unknown", "expired", "none"])
def test_a_result_for_an_unknown_or_expired_invite_is_kept_unattributed(world: World, case: str) -> None:
    body = result()
    if case == "unknown":
        body["invite_id"] = 2**40
    elif case == "expired":
        invite_id = world.invite(status="expired")
        body["invite_id"] = invite_id
    answer = world.send(body)
    assert answer.status_code == 200, answer.json
    assert answer.json["results"][0]["attributed"] is False
    world.drain()
    [row] = world.rows()
    assert row.invite_id is None and row.recipe_id is None and row.campaign_id is None
    assert row.unattributed_reason and row.transcript and row.answers
    assert row.synthesis_status == "done"
    if case == "expired":
        assert world.invite_status(body["invite_id"]) == "expired"


def test_an_unattributed_result_finds_its_person_by_email(world: World) -> None:
    world.invite()
    with world.app.app_context():
        invite = db.session.scalars(sa.select(Invite)).one()
        db.session.add(Identity(profile_id=invite.profile_id, kind="email", value="grace@example.com"))
        db.session.commit()
        known = invite.profile_id
    world.send(result(respondent={"email": " Grace@Example.com"}, result_id="r-known"))
    world.send(result(respondent={"email": "nobody@example.com"}, result_id="r-unknown"))
    assert [(r.external_id, r.profile_id, r.invite_id) for r in world.rows()] == [
        ("r-known", known, None),
        ("r-unknown", None, None),
    ]


def test_answers_are_not_checked_without_a_campaign(world: World) -> None:
    odd = [{"question_id": "anything", "type": "scale", "value": 99}]
    assert world.send(result(answers=odd)).status_code == 200


BAD_ANSWERS = [
    (0, {"question_id": "nope", "type": "open_ended", "value": "x"}, "answers.0.question_id", "'nope'"),
    (1, {"question_id": "nps", "type": "yes_no", "value": True}, "answers.1.type", "'nps' is scale"),
    (1, {"question_id": "nps", "type": "scale", "value": 11}, "answers.1.value", "'nps'"),
    (1, {"question_id": "nps", "type": "scale", "value": -1}, "answers.1.value", "outside its scale"),
    (2, {"question_id": "plan", "type": "single_choice", "value": "gold"}, "answers.2.value", "'plan'"),
    (
        3,
        {"question_id": "used", "type": "multiple_choice", "value": ["boards", "fax"]},
        "answers.3.value",
        "'fax'",
    ),
    (
        3,
        {"question_id": "used", "type": "multiple_choice", "value": ["api", "api"]},
        "answers.3.value",
        "twice",
    ),
    (
        4,
        {"question_id": "order", "type": "ranking", "value": ["price", "speed"]},
        "answers.4.value",
        "'order'",
    ),
    (
        4,
        {"question_id": "order", "type": "ranking", "value": ["price", "price", "speed"]},
        "answers.4.value",
        "ranking",
    ),
    (5, {"question_id": "back", "type": "yes_no", "value": "yes"}, "answers.5.value", "true or false"),
    (1, {"question_id": "nps", "type": "scale", "value": "7"}, "answers.1.value", "a number"),
    (0, {"question_id": "why", "type": "open_ended", "value": 3}, "answers.0.value", "text"),
    (3, {"question_id": "used", "type": "multiple_choice", "value": "api"}, "answers.3.value", "list"),
]


@pytest.mark.parametrize(("index", "bad", "field", "words"), BAD_ANSWERS)
def test_an_answer_that_does_not_fit_its_question_is_400_naming_it(
    world: World, index: int, bad: dict[str, object], field: str, words: str
) -> None:
    invite_id = world.invite()
    answers = [dict(a) for a in ANSWERS]
    answers[index] = bad
    error = assert_error(world.send(result(invite_id, answers=answers)), 400, field)
    assert words in error["message"], error
    assert world.rows() == []
    assert world.invite_status(invite_id) == "sent"


def test_a_question_answered_twice_is_400(world: World) -> None:
    invite_id = world.invite()
    answers = [*ANSWERS, ANSWERS[0]]
    assert_error(world.send(result(invite_id, answers=answers)), 400, "answers.6.question_id")


def test_partial_answers_are_fine(world: World) -> None:
    invite_id = world.invite()
    assert world.send(result(invite_id, answers=ANSWERS[:2])).status_code == 200


def test_a_result_names_its_invite_by_the_links_signed_token(world: World) -> None:
    invite_id = world.invite()
    with world.app.test_request_context():
        token = invite_token(invite_id, {"plan": "pro"}, expiry_days=30)
        expired = invite_token(invite_id, {}, expiry_days=0)
    answers = [
        world.send(result(invite_token=token, result_id="signed")),
        world.send(result(invite_token=token[:-3] + "xyz", result_id="tampered")),
        world.send(result(invite_token=expired, result_id="expired")),
    ]
    assert [a.json["results"][0]["attributed"] for a in answers] == [True, False, False]
    reasons = {row.external_id: row.unattributed_reason for row in world.rows()}
    assert reasons["signed"] is None
    assert "not valid" in str(reasons["tampered"]) and "expired" in str(reasons["expired"])
    assert world.invite_status(invite_id) == "completed"
