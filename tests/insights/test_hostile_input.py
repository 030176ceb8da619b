"""The interviews hook refuses hostile input with a clear 4xx naming the field, and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.inbound.support import assert_error, standard_headers
from tests.insights.support import World, result

DEEP: Any = "x"
for _ in range(70):
    DEEP = [DEEP]


def test_an_unsigned_or_forged_delivery_is_401(world: World) -> None:
    body = json.dumps(result(world.invite())).encode()
    path = f"/hooks/interviews/{world.connection_id}"
    assert world.client.post(path, data=body, content_type="application/json").status_code == 401
    forged = standard_headers("whsec_" + "A" * 32, body, "m1")
    assert world.client.post(path, data=body, headers=forged).status_code == 401
    assert world.client.post(f"/hooks/interviews/{2**40}", data=body, headers=forged).status_code == 404
    assert world.rows() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"result_id": None}, "result_id"),
        ({"result_id": ""}, "result_id"),
        ({"result_id": "a\u0001b"}, "result_id"),
        ({"result_id": "r" * 201}, "result_id"),
        ({"invite_id": "12"}, "invite_id"),
        ({"invite_id": 2**64}, "invite_id"),
        ({"invite_id": 0}, "invite_id"),
        ({"invite_token": 7}, "invite_token"),
        ({"completed_at": "yesterday"}, "completed_at"),
        ({"completed_at": 1767225600}, "completed_at"),
        ({"started_at": "10000-01-01T00:00:00Z"}, "started_at"),
        ({"transcript": [{"speaker": "bot", "text": "hi"}]}, "transcript.0.speaker"),
        ({"transcript": [{"speaker": "respondent", "text": "a\u0000b"}]}, "transcript.0.text"),
        ({"transcript": [{"speaker": "respondent", "text": "x" * 20_001}]}, "transcript.0.text"),
        ({"transcript": [{"speaker": "respondent", "text": "hi"}] * 501}, "transcript"),
        ({"transcript": "hello"}, "transcript"),
        ({"answers": [{"question_id": "why", "type": "essay", "value": "x"}]}, "answers.0.type"),
        (
            {"answers": [{"question_id": "nps", "type": "scale", "value": 10**7}]},
            "answers.0.value",
        ),
        ({"answers": [{"question_id": "", "type": "yes_no", "value": True}]}, "answers.0.question_id"),
        ({"respondent": "ada"}, "respondent"),
        ({"respondent": {"name": "\ud800"}}, "respondent.name"),
    ],
)
def test_malformed_fields_are_400_naming_them(world: World, changes: dict[str, Any], field: str) -> None:
    body = {**result(world.invite()), **changes}
    try:
        raw = json.dumps(body, allow_nan=True).encode()
    except ValueError:
        raw = json.dumps(body).encode()
    assert_error(world.send(raw), 400, field)
    assert world.rows() == []


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"not json", "malformed JSON"),
        (b"[1, 2]", "one interview result"),
        (json.dumps(DEEP).encode(), "nested deeper"),
        (b'{"result_id": "r", "transcript": [], "x": NaN}', "NaN"),
        (b'{"result_id": "r", "n": 1e999}', "out of range"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_bodies_no_parser_should_take_are_400(world: World, raw: bytes, words: str) -> None:
    error = assert_error(world.send(raw), 400, "(body)")
    assert words in error["message"], error
    assert world.rows() == []


def test_unknown_fields_are_stored_around_and_reported(world: World) -> None:
    answer = world.send(result(world.invite(), mood="great"))
    assert answer.status_code == 200
    assert answer.json["warnings"] == [{"index": 0, "field": "mood", "message": "unknown field, ignored"}]
