"""The Intercom fake's messaging endpoints answer like Intercom: the body it checks, the errors it gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.intercom import fake as intercom_fake
from connectors.intercom.fake import IntercomFake
from tests.fakes.test_intercom_fake import Intercom


@pytest.fixture
def fake() -> Iterator[IntercomFake]:
    with intercom_fake.start(members=5, seed=2) as server:
        yield server


def message(fake: IntercomFake, **changes: Any) -> dict[str, Any]:
    return {
        "message_type": "email",
        "subject": "Hi",
        "body": "<p>Five minutes?</p>",
        "template": "plain",
        "from": {"type": "admin", "id": int(fake.admin_id)},
        "to": {"type": "user", "id": fake.member_id(1)},
        **changes,
    }


def test_me_names_the_admin_behind_the_token(fake: IntercomFake) -> None:
    me = Intercom(fake).call("GET", "/me").json()
    assert (me["type"], me["id"]) == ("admin", fake.admin_id)


def test_a_message_without_a_conversation_until_asked(fake: IntercomFake) -> None:
    client = Intercom(fake)
    plain = client.call("POST", "/messages", json=message(fake)).json()
    assert plain["type"] == "admin_message" and "conversation_id" not in plain
    opened = client.call(
        "POST", "/messages", json=message(fake, create_conversation_without_contact_reply=True)
    ).json()
    assert opened["conversation_id"] and len(fake.conversations) == 1 and len(fake.sent) == 2
    query = {"field": "source.body", "operator": "~", "value": "five minutes"}
    found = client.call("POST", "/conversations/search", json={"query": query}).json()
    assert found["type"] == "conversation.list" and found["total_count"] == 1
    conversation = found["conversations"][0]
    assert conversation["source"]["id"] == opened["id"]
    assert conversation["source"]["delivered_as"] == "admin_initiated"
    assert conversation["contacts"]["contacts"] == [{"type": "contact", "id": fake.member_id(1)}]


@pytest.mark.parametrize(
    ("changes", "status", "says"),
    [
        ({"message_type": "in_app"}, 400, "message_type must be inapp or email"),
        ({"subject": ""}, 400, "subject is required"),
        ({"template": "fancy"}, 400, "template must be plain or personal"),
        ({"body": " "}, 400, "body is required"),
        ({"from": {"type": "user", "id": 1}}, 400, "from must be"),
        ({"from": {"type": "admin", "id": 1}}, 404, "Admin Not Found"),
        ({"to": {"type": "user"}}, 400, "to must be"),
        ({"to": {"type": "user", "id": "64nope"}}, 404, "User Not Found"),
    ],
)
def test_bad_messages_get_intercoms_errors(
    fake: IntercomFake, changes: dict[str, Any], status: int, says: str
) -> None:
    answer = Intercom(fake).call("POST", "/messages", json=message(fake, **changes))
    assert answer.status_code == status
    body = answer.json()
    assert body["type"] == "error.list" and says in body["errors"][0]["message"]
    assert fake.sent == []


def test_an_inapp_message_needs_no_subject(fake: IntercomFake) -> None:
    answer = Intercom(fake).call("POST", "/messages", json=message(fake, message_type="inapp", subject=None))
    assert answer.status_code == 200 and answer.json()["message_type"] == "inapp"


def test_conversation_search_takes_only_indexed_fields(fake: IntercomFake) -> None:
    query = {"field": "email", "operator": "=", "value": "x"}
    answer = Intercom(fake).call("POST", "/conversations/search", json={"query": query})
    assert answer.status_code == 400 and "not a searchable field" in answer.text
