"""Hostile times and headers: outside the calendar, past the clock-skew arithmetic, not numbers.

A time that cannot be represented is refused naming its field (in a batch only its item);
a header that is not what its scheme says is a 401 like any other failed signature.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import db
from hub.models import Event
from tests.inbound.support import EMPTY, Doors, assert_error, counts, dumps, standard_headers
from tests.inbound.test_hostile_bodies import PERSON, hubspot_item, intercom_body


def occurred(app: Flask) -> dict[str, datetime]:
    with app.app_context():
        return {e.name: e.occurred_at for e in db.session.scalars(sa.select(Event))}


def test_segment_times_outside_the_calendar_reject_only_their_message(app: Flask, doors: Doors) -> None:
    batch = [
        {"type": "track", "userId": "u", "event": "Kept", "timestamp": "2026-01-01T00:00:00Z"},
        {"type": "track", "userId": "u", "event": "E", "timestamp": "0001-01-01T00:00:00+01:00"},
        {"type": "track", "userId": "u", "event": "E", "timestamp": "9999-12-31T23:59:59-01:00"},
        {"type": "track", "userId": "u", "event": "E", "timestamp": "1700000000"},
        {"type": "track", "userId": "u", "event": "E", "timestamp": "10000-01-01T00:00:00Z"},
        {"type": "track", "userId": "u", "event": "E", "timestamp": "2026-01-01", "sentAt": "0001-01-01T00:00:00+05:00"},
        {"type": "track", "userId": "u", "event": "Year one", "timestamp": "0001-01-01T00:00:00Z"},
    ]  # fmt: skip
    response = doors.track(dumps({"batch": batch}), "batch")
    assert response.status_code == 200
    assert [r["field"] for r in response.json["rejected"]] == [
        "batch.1.timestamp", "batch.2.timestamp", "batch.3.timestamp", "batch.4.timestamp", "batch.5.sentAt",
    ]  # fmt: skip
    assert occurred(app) == {
        "Kept": datetime(2026, 1, 1, tzinfo=UTC),
        "Year one": datetime(1, 1, 1, tzinfo=UTC),
    }


@pytest.mark.parametrize("sent_at_in", ["message", "batch"])
def test_a_skew_correction_past_the_calendar_rejects_that_message_and_keeps_the_rest(
    app: Flask, doors: Doors, sent_at_in: str
) -> None:
    """sentAt in year 9999 and a timestamp in year 1: receivedAt - (sentAt - timestamp) overflows."""
    sent_at = "9999-12-31T00:00:00Z"
    batch = [
        {"type": "track", "userId": "u", "event": "Overflows", "timestamp": "0001-01-02T00:00:00Z"},
        {"type": "track", "userId": "u", "event": "Ten seconds before", "timestamp": "9999-12-30T23:59:50Z"},
        {"type": "track", "userId": "u", "event": "No timestamp"},
    ]
    if sent_at_in == "message":
        batch = [{**message, "sentAt": sent_at} for message in batch]
    body = {"batch": batch, **({"sentAt": sent_at} if sent_at_in == "batch" else {})}
    before = datetime.now(UTC)
    response = doors.track(dumps(body), "batch")
    after = datetime.now(UTC)
    assert response.status_code == 200
    assert response.json["rejected"] == [
        {
            "index": 0,
            "field": "batch.0.timestamp",
            "message": "is too far from sentAt to correct the clock skew",
        }
    ]
    times = occurred(app)
    assert set(times) == {"Ten seconds before", "No timestamp"}
    assert before - timedelta(seconds=10) <= times["Ten seconds before"] <= after - timedelta(seconds=10)
    single = doors.track(dumps({**batch[0], "sentAt": sent_at}))
    assert_error(single, 400, "timestamp")


def test_provider_times_outside_the_calendar_are_named(app: Flask, doors: Doors) -> None:
    hubspot = doors.hubspot(
        dumps([
            hubspot_item(1),
            hubspot_item(2, occurredAt=10**20), hubspot_item(3, occurredAt=-(10**20)),
            hubspot_item(4, occurredAt="NaN"), hubspot_item(5, occurredAt=10**400),
        ])
    )  # fmt: skip
    assert hubspot.json["accepted"] == 1
    assert [r["field"] for r in hubspot.json["rejected"]] == [f"{i}.occurredAt" for i in range(1, 5)]
    for created_at in (10**13, -(10**13), "NaN", 10**400):
        assert_error(doors.intercom(dumps(intercom_body(PERSON, created_at=created_at))), 400, "created_at")
    generic = doors.generic(
        dumps(
            [
                {"event": "E", "user_id": "u", "timestamp": "9999-12-31T23:59:59-01:00"},
                {"event": "E", "user_id": "u"},
            ]
        )
    )
    assert (generic.json["accepted"], generic.json["rejected"][0]["field"]) == (1, "0.timestamp")
    assert counts(app)["events"] == 2


@pytest.mark.parametrize("stamp", ["\u00b2", "9" * 5000, "-1", "1e9", " 1", "", "\u0661\u0662"])
def test_a_generic_timestamp_that_is_not_whole_seconds_is_a_401(app: Flask, doors: Doors, stamp: str) -> None:
    body = dumps({"event": "E", "user_id": "u"})
    headers = {**standard_headers(doors.generic_secret, body, "m"), "webhook-timestamp": stamp}
    response = doors.client.post(f"/hooks/generic/{doors.generic_id}", data=body, headers=headers)
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_signature"
    assert counts(app) == EMPTY


@pytest.mark.parametrize("stamp", ["NaN", "1e400", "9" * 5000, "-inf", "soon"])
def test_a_hubspot_timestamp_that_is_not_milliseconds_is_a_401(app: Flask, doors: Doors, stamp: str) -> None:
    body = dumps([hubspot_item(1)])
    path = f"/hooks/hubspot/{doors.hubspot_id}"
    headers = {
        "X-HubSpot-Signature-v3": "x",
        "X-HubSpot-Request-Timestamp": stamp,
        "Content-Type": "application/json",
    }
    response = doors.client.post(path, data=body, headers=headers)
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_signature"
    assert counts(app) == EMPTY


def test_write_keys_and_signatures_that_are_not_text_are_a_401(app: Flask, doors: Doors) -> None:
    message = {"userId": "u", "event": "E"}
    garbage = [
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:").decode()},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Basic " + base64.b64encode(b"\x00:").decode()},
        {"Authorization": "Bearer " + doors.write_key},
    ]
    for headers in garbage:
        assert doors.client.post("/v1/track", json=message, headers=headers).status_code == 401
    for key in ("k\ud800", "\x00", 12, ["k"], None, "k" * 100_000):
        body = dumps({**message, "writeKey": key})
        assert doors.client.post("/v1/track", data=body).status_code == 401
    body = dumps(intercom_body(PERSON))
    for signature in ("sha1=zz", "sha1=" + "\u00e9" * 40, "sha1", "=abc"):
        response = doors.client.post(
            f"/hooks/intercom/{doors.intercom_id}", data=body, headers={"X-Hub-Signature": signature}
        )
        assert response.status_code == 401
    assert counts(app) == EMPTY
