"""Hostile bodies on every inbound door: depth, numbers and text no database can hold.

Each class is answered with a 4xx in the CONTRACT shape naming the field, never a 500; a
batch keeps its valid items and names the bad one, and a refused request stores nothing.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import db
from hub.models import Event, Identity
from tests.inbound.support import EMPTY, Doors, assert_error, counts, dumps


def nested(depth: int) -> str:
    """JSON text `depth` levels deep, objects and lists in turn (json.dumps itself stops near 1000)."""
    opening = "".join('{"k": ' if level % 2 else "[" for level in range(depth))
    return opening + '"bottom"' + "".join("}" if level % 2 else "]" for level in reversed(range(depth)))


def hubspot_item(event_id: int | str, object_id: int = 501, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": event_id, "subscriptionId": 42, "portalId": 7, "appId": 9,
        "occurredAt": int(time.time() * 1000), "subscriptionType": "contact.propertyChange",
        "attemptNumber": 0, "objectId": object_id, "propertyName": "lifecyclestage", "propertyValue": "lead",
        **extra,
    }  # fmt: skip


def intercom_body(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "notification_event", "id": "notif_1", "topic": "contact.user.created",
        "created_at": 1767225600, "data": {"type": "notification_event_data", "item": item}, **extra,
    }  # fmt: skip


PERSON = {"type": "contact", "id": "6500aa", "email": "grace@example.com"}


def stored_names(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Event.name).order_by(Event.id)))


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_nesting_past_the_limit_is_refused_on_every_door(app: Flask, doors: Doors, depth: int) -> None:
    body = nested(depth).encode()
    for door, response in doors.every_door(body).items():
        error = assert_error(response, 400, "(body)")
        assert "nested deeper than 64 levels" in error["message"], door
    assert counts(app) == EMPTY


def test_nesting_within_the_limit_is_stored(app: Flask, doors: Doors) -> None:
    deep = nested(60)  # with the body and its properties, 62 levels
    track = '{"userId": "u", "event": "E", "properties": {"deep": ' + deep + "}}"
    generic = '{"event": "E", "user_id": "u", "properties": {"deep": ' + deep + "}}"
    assert doors.track(track.encode()).status_code == 200
    assert doors.generic(generic.encode()).status_code == 200
    assert counts(app)["events"] == 2


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (b"NaN", "NaN is not a JSON number"),
        (b"-Infinity", "-Infinity is not a JSON number"),
        (b"1e400", "out of range"),
        (b"9" * 5000, "too many digits"),
    ],
)
def test_numbers_no_database_holds_are_refused_on_every_door(
    app: Flask, doors: Doors, number: bytes, reason: str
) -> None:
    body = b'{"userId": "u", "event": "E", "properties": {"n": ' + number + b"}}"
    for door, response in doors.every_door(body).items():
        assert reason in assert_error(response, 400, "(body)")["message"], door
    assert counts(app) == EMPTY


def test_ids_beyond_int64_are_kept_as_text(app: Flask, doors: Doors) -> None:
    huge = 99999999999999999999
    assert doors.track(dumps({"userId": huge, "event": "E", "properties": {"n": huge}})).status_code == 200
    assert doors.hubspot(dumps([hubspot_item(huge, huge)])).json["accepted"] == 1
    with app.app_context():
        values = set(db.session.scalars(sa.select(Identity.value)))
        external = set(db.session.scalars(sa.select(Event.external_id)))
        properties = [e.properties for e in db.session.scalars(sa.select(Event).order_by(Event.id))]
    assert {value.rsplit(":", 1)[-1] for value in values} == {str(huge)}  # user_id, hubspot_contact
    assert f"7:42:{huge}" in external
    assert properties[0] == {"n": huge}


@pytest.mark.parametrize(
    "connector", ["generic", "hubspot", "intercom", "mixpanel", "amplitude", "tracking", "nosuch"]
)
@pytest.mark.parametrize(
    "connection_id", ["2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "9" * 400]
)
def test_connection_ids_past_int64_are_not_found(app: Flask, connector: str, connection_id: str) -> None:
    response = app.test_client().post(f"/hooks/{connector}/{connection_id}", data=b"{}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_unstorable_text_rejects_only_its_item_of_a_batch(app: Flask, doors: Doors) -> None:
    batch = [
        {"type": "track", "userId": "u-1", "event": "Kept", "messageId": "m0"},
        {"type": "track", "userId": "u\ud800", "event": "E", "messageId": "m1"},
        {"type": "track", "anonymousId": "a\x00", "event": "E", "messageId": "m2"},
        {"type": "track", "userId": "u-1", "event": "E\udfff", "messageId": "m3"},
        {"type": "track", "userId": "u-1", "event": "E", "properties": {"k\ud800": 1}, "messageId": "m4"},
        {"type": "identify", "userId": "u-1", "traits": {"plan": ["\x00"]}, "messageId": "m5"},
        {"type": "track", "userId": "u-1", "event": "Emoji \ud83d\ude00", "messageId": "m6"},
    ]
    response = doors.track(dumps({"batch": batch}), "batch")
    assert response.status_code == 200
    assert response.json["accepted"] == 2
    assert [(r["index"], r["field"]) for r in response.json["rejected"]] == [
        (1, "batch.1.userId"), (2, "batch.2.anonymousId"), (3, "batch.3.event"),
        (4, "batch.4.properties.k\\ud800"), (5, "batch.5.traits.plan.0"),
    ]  # fmt: skip
    assert stored_names(app) == ["Kept", "Emoji \U0001f600"]


def test_unstorable_text_is_named_by_every_webhook(app: Flask, doors: Doors) -> None:
    generic = doors.generic(dumps([{"event": "Kept", "user_id": "u"}, {"event": "E", "user_id": "u\ud800"}]))
    assert (generic.json["accepted"], generic.json["rejected"][0]["field"]) == (1, "1.user_id")
    assert_error(doors.generic(dumps({"event": "E", "anonymous_id": "a\x00"}), "m2"), 400, "anonymous_id")
    hubspot = doors.hubspot(dumps([hubspot_item(1), hubspot_item(2, propertyValue="lead\ud800")]))
    assert (hubspot.json["accepted"], hubspot.json["rejected"][0]["field"]) == (1, "1.propertyValue")
    intercom = doors.intercom(dumps(intercom_body({**PERSON, "email": "g\udc00@example.com"})))
    assert_error(intercom, 400, "data.item.email")
    assert_error(doors.track(dumps({"userId": "u\ud800", "event": "E"})), 400, "userId")
    amplitude = {"cohort_id": "c1", "in_cohort": True, "message_id": "m", "users": [{"user_id": "u\x00"}]}
    assert_error(doors.amplitude(dumps(amplitude)), 400, "users.0.user_id")
    mixpanel = {
        "action": "add_members",
        "parameters": {
            "mixpanel_cohort_id": "1",
            "members": [{"mixpanel_distinct_id": "d", "email": "\udc00"}],
        },
    }
    answer = doors.mixpanel(dumps(mixpanel))
    assert answer.status_code == 400 and answer.json["status"] == "failure"
    assert answer.json["error"]["details"][0]["field"] == "parameters.members.0.email"
    assert stored_names(app) == ["Kept", "hubspot.contact.propertyChange"]


def test_surrogates_encoded_as_bytes_are_not_utf8(app: Flask, doors: Doors) -> None:
    body = b'{"userId": "u\xed\xa0\x80", "event": "E", "user_id": "u"}'
    for door, response in doors.every_door(body).items():
        assert "not UTF-8" in assert_error(response, 400, "(body)")["message"], door
    assert counts(app) == EMPTY


def test_over_long_ids_and_names_are_refused_before_the_columns_are(app: Flask, doors: Doors) -> None:
    long = "x" * 400
    batch = [
        {"type": "track", "userId": "u", "event": "Kept", "messageId": "m0"},
        {"type": "track", "userId": long, "event": "E", "messageId": "m1"},
        {"type": "track", "userId": "u", "event": long, "messageId": "m2"},
        {"type": "track", "userId": "u", "event": "E", "messageId": long},
    ]
    response = doors.track(dumps({"batch": batch}), "batch")
    assert [r["field"] for r in response.json["rejected"]] == [
        "batch.1.userId", "batch.2.event", "batch.3.messageId",
    ]  # fmt: skip
    hubspot = doors.hubspot(
        dumps([
            hubspot_item(1, subscriptionType="contact." + long),
            hubspot_item(long),
            hubspot_item(3, propertyName="email", propertyValue=long + "@example.com"),
        ])
    )  # fmt: skip
    assert_error(hubspot, 400, "0.subscriptionType")
    assert [d["field"] for d in hubspot.json["error"]["details"]] == [
        "0.subscriptionType", "1.eventId", "2.propertyValue",
    ]  # fmt: skip
    assert_error(doors.intercom(dumps(intercom_body(PERSON, id=long * 3))), 400, "id")
    assert_error(doors.intercom(dumps(intercom_body(PERSON, topic=long))), 400, "topic")
    assert_error(doors.intercom(dumps(intercom_body({**PERSON, "email": long}))), 400, "data.item.email")
    assert_error(doors.generic(dumps({"event": "E", "user_id": "u"}), "m" * 201), 400, "webhook-id")
    assert_error(doors.generic(dumps({"event": "E", "user_id": "u"}), "m\x01"), 400, "webhook-id")
    assert stored_names(app) == ["Kept"]
