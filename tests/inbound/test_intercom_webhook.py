"""Intercom notifications: X-Hub-Signature (sha1) and each topic's person turned into identities and traits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub.db import db
from hub.models import Event, Profile
from tests.inbound.support import EMPTY, add_connection, counts, dumps, intercom_headers

SECRET = "intercom-client-secret"
CONTACT = {
    "type": "contact", "id": "6500aa", "external_id": "u-42", "email": "grace@example.com", "name": "Grace",
    "role": "user", "phone": None, "location": {"type": "location", "country": "Ireland", "city": "Dublin"},
    "custom_attributes": {"plan": "enterprise", "segment": "mid-market"},
}  # fmt: skip


def notification(notification_id: str, topic: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "notification_event", "app_id": "abc123", "id": notification_id, "topic": topic,
        "data": {"type": "notification_event_data", "item": item}, "delivery_status": "pending",
        "delivery_attempts": 1, "created_at": 1767225600, "first_sent_at": 1767225600, "links": {},
    }  # fmt: skip


def send(app: Flask, connection_id: int, payload: Any, secret: str = SECRET) -> Any:
    body = dumps(payload)
    return app.test_client().post(
        f"/hooks/intercom/{connection_id}", data=body, headers=intercom_headers(secret, body)
    )


def profile_of(app: Flask, external_id: str) -> tuple[Event, Profile]:
    with app.app_context():
        event = db.session.scalars(sa.select(Event).where(Event.external_id == external_id)).one()
        profile = db.session.get(Profile, event.profile_id)
        assert profile is not None
        profile.identities  # noqa: B018 - loads them before the session closes
        return event, profile


def test_a_new_user_becomes_an_event_with_identities_and_traits(app: Flask) -> None:
    connection_id, _ = add_connection(app, "intercom", client_secret=SECRET)
    response = send(app, connection_id, notification("notif_1", "contact.user.created", CONTACT))
    assert response.status_code == 200 and response.json["accepted"] == 1
    event, profile = profile_of(app, "notif_1")
    assert event.name == "intercom.contact.user.created"
    assert event.occurred_at.timestamp() == 1767225600
    assert {(i.kind, i.value) for i in profile.identities} == {
        ("intercom_contact", f"{connection_id}:6500aa"), ("email", "grace@example.com"), ("user_id", "u-42"),
    }  # fmt: skip
    assert profile.traits == {
        "email": "grace@example.com", "name": "Grace", "role": "user", "country": "Ireland", "city": "Dublin",
        "plan": "enterprise", "segment": "mid-market",
    }  # fmt: skip


def test_conversation_and_tag_topics_find_their_contact(app: Flask) -> None:
    connection_id, _ = add_connection(app, "intercom", client_secret=SECRET)
    send(app, connection_id, notification("notif_1", "contact.lead.created", {**CONTACT, "role": "lead"}))
    conversation = {
        "type": "conversation", "id": "c-77", "state": "open",
        "source": {"type": "conversation", "author": {"type": "user", "id": "6500aa", "email": "grace@example.com"}},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "6500aa", "external_id": "u-42"}]},
    }  # fmt: skip
    tag = {"type": "user_tag", "tag": {"type": "tag", "id": "t-1", "name": "churn-risk"}, "user": CONTACT}
    assert (
        send(
            app, connection_id, notification("notif_2", "conversation.user.replied", conversation)
        ).status_code
        == 200
    )
    assert send(app, connection_id, notification("notif_3", "user.tag.created", tag)).status_code == 200
    replied, profile = profile_of(app, "notif_2")
    tagged, _ = profile_of(app, "notif_3")
    assert replied.properties == {"topic": "conversation.user.replied", "item_type": "conversation",
                                  "conversation_id": "c-77", "state": "open"}  # fmt: skip
    assert tagged.properties["tag_name"] == "churn-risk"
    assert replied.profile_id == tagged.profile_id == profile.id
    assert counts(app)["profiles"] == 1


def test_topics_without_a_contact_are_acknowledged_and_not_stored(app: Flask) -> None:
    connection_id, _ = add_connection(app, "intercom", client_secret=SECRET)
    ping = notification("notif_ping", "ping", {"type": "ping", "message": "hello"})
    admin = notification(
        "notif_admin", "admin.away_mode_updated", {"type": "admin", "id": "1", "email": "a@x.io"}
    )
    for payload in (ping, admin):
        response = send(app, connection_id, payload)
        assert response.status_code == 200
        assert (response.json["accepted"], len(response.json["ignored"])) == (0, 1)
    assert counts(app) == EMPTY


def test_the_notification_id_makes_redelivery_harmless(app: Flask) -> None:
    connection_id, _ = add_connection(app, "intercom", client_secret=SECRET)
    payload = notification("notif_9", "contact.user.created", CONTACT)
    assert send(app, connection_id, payload).json["accepted"] == 1
    assert send(app, connection_id, {**payload, "delivery_attempts": 2}).json["duplicates"] == 1
    assert counts(app)["events"] == 1


def test_unsigned_forged_or_malformed_deliveries_store_nothing(app: Flask) -> None:
    connection_id, _ = add_connection(app, "intercom", client_secret=SECRET)
    client = app.test_client()
    body = dumps(notification("notif_1", "contact.user.created", CONTACT))
    path = f"/hooks/intercom/{connection_id}"
    sha256 = intercom_headers(SECRET, body)["X-Hub-Signature"].replace("sha1=", "sha256=")
    for headers in ({}, intercom_headers("wrong", body), {"X-Hub-Signature": sha256}):
        assert client.post(path, data=body, headers=headers).status_code == 401
    for payload, field in (
        ([], "(body)"),
        ({"id": "n", "data": {"item": CONTACT}}, "topic"),
        ({"topic": "contact.user.created", "data": {"item": CONTACT}}, "id"),
        ({"id": "n", "topic": "contact.user.created", "data": {}}, "data.item"),
        ({**notification("n", "contact.user.created", CONTACT), "created_at": "today"}, "created_at"),
    ):
        response = send(app, connection_id, payload)
        assert response.status_code == 400
        assert response.json["error"]["details"][0]["field"] == field
    assert counts(app) == EMPTY


def test_a_ping_as_intercom_sends_it_is_answered_200_and_stores_nothing(app: Flask) -> None:
    """Intercom's check of a new webhook: topic `ping`, and the notification id is null."""
    connection_id, _ = add_connection(app, "intercom", client_secret=SECRET)
    ping = {
        "type": "notification_event", "app_id": "abc123",
        "data": {"type": "notification_event_data", "item": {"type": "ping", "message": "something"}},
        "links": {}, "id": None, "topic": "ping", "delivery_status": None, "delivery_attempts": 1,
        "delivered_at": 0, "first_sent_at": 1767225600, "created_at": 1767225600, "self": None,
    }  # fmt: skip
    response = send(app, connection_id, ping)
    assert response.status_code == 200
    assert (response.json["accepted"], response.json["rejected"]) == (0, [])
    assert response.json["ignored"] == [
        {"index": 0, "field": "topic", "message": "a ping: Intercom checking the webhook, nothing to store"}
    ]
    assert send(app, connection_id, ping, secret="wrong").status_code == 401
    assert counts(app) == EMPTY
