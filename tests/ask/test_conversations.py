"""Conversations: follow-ups keep the filters and carry the citations on; they are stored and listed;
an answer is saved as a note on a finding or sent as a result action through the outbox (Slack)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.slack.fake import SlackFake, start
from hub.db import db
from hub.models import AskNote, Finding, Outbox
from tests.actions.support_core import connection, run_drain
from tests.ask.support import labelled
from tests.insights.support import World

ASK = "/api/v1/insights/ask"


def ask(world: World, **body: Any) -> dict[str, Any]:
    answer = world.api.post(ASK, json=body)
    assert answer.status_code == 200, answer.json
    return dict(answer.json)


def test_a_follow_up_keeps_the_filters_unless_it_names_one(world: World) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    first = ask(world, question="Why is it too expensive?", segment="traits.plan=team")
    team = first["interviews_considered"]
    assert 0 < team < 61
    follow = ask(world, question="And the onboarding?", conversation_id=first["conversation_id"])
    assert (
        follow["conversation_id"] == first["conversation_id"]
        and follow["filters"]["segment"] == "traits.plan=team"
    )
    assert follow["interviews_considered"] == team
    wider = ask(world, question="And for everyone?", conversation_id=first["conversation_id"], segment=None)
    assert wider["interviews_considered"] == 61
    listed = world.api.get("/api/v1/insights/conversations").json
    assert [c["id"] for c in listed["items"]] == [first["conversation_id"]] and listed["next_cursor"] is None
    one = world.api.get(f"/api/v1/insights/conversations/{first['conversation_id']}").json
    assert [m["question"] for m in one["messages"]] == [
        "Why is it too expensive?",
        "And the onboarding?",
        "And for everyone?",
    ]
    assert one["messages"][0]["answer"]["citations"] == first["citations"]
    assert one["filters"]["segment"] is None
    missing = world.api.post(ASK, json={"question": "why", "conversation_id": 999999})
    assert missing.status_code == 400 and missing.json["error"]["code"] == "unknown_conversation"
    assert missing.json["error"]["details"][0]["field"] == "conversation_id"


def test_a_follow_up_searches_with_the_question_before_it(world: World) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    first = ask(world, question="What about the Salesforce integration?")
    follow = ask(world, question="Anything else?", conversation_id=first["conversation_id"])
    assert follow["citations"] and follow["themes"][0]["label"] == "Integrations"


def _finding(world: World) -> int:
    with world.app.app_context():
        finding = Finding(recipe_id=world.recipe_id, period="all", theme="Pricing and cost", quotes=[])
        db.session.add(finding)
        db.session.commit()
        return finding.id


def test_an_answer_saved_as_a_note_on_a_finding(world: World) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    answer = ask(world, question="Why is it too expensive?")
    finding_id = _finding(world)
    saved = world.api.post(
        f"/api/v1/insights/messages/{answer['message_id']}/note", json={"finding_id": finding_id}
    )
    assert saved.status_code == 201, saved.json
    assert saved.json["text"] == answer["answer"] and saved.json["citations"] == answer["citations"]
    with world.app.app_context():
        assert db.session.scalar(sa.select(AskNote.finding_id)) == finding_id
    gone = world.api.post(
        f"/api/v1/insights/messages/{answer['message_id']}/note", json={"finding_id": 99999}
    )
    assert gone.status_code == 404
    nowhere = world.api.post("/api/v1/insights/messages/99999/note", json={"finding_id": finding_id})
    assert nowhere.status_code == 404


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with start(per_second=50, burst=50) as server:
        yield server


def test_an_answer_sent_to_slack_through_the_outbox(world: World, slack: SlackFake) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    answer = ask(world, question="Why is it too expensive?")
    connection_id = connection(world.app, "slack", slack.credentials)
    url = f"/api/v1/insights/messages/{answer['message_id']}/action"
    body = {"connection_id": connection_id, "operation": "post_message"}
    sent = world.api.post(url, json=body)
    assert sent.status_code == 201, sent.json
    assert world.api.post(url, json=body).status_code == 201  # the same answer to the same place: one row
    with world.app.app_context():
        [row] = db.session.scalars(sa.select(Outbox).where(Outbox.kind == "action")).all()
        assert row.idempotency_key == sent.json["idempotency_key"]
    run_drain(world.app)
    [posted] = slack.messages()
    assert posted["text"].startswith(answer["answer"])
    assert posted["blocks"][0]["text"]["text"] == "Research answer: Why is it too expensive?"
    with world.app.app_context():
        assert db.session.scalar(sa.select(Outbox.status).where(Outbox.kind == "action")) == "sent"
    unknown = world.api.post(url, json={"connection_id": 99999, "operation": "post_message"})
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "unknown_connection"
