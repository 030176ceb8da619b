"""The Segment-compatible tracking API: what Segment's spec promises a sender, kept here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db
from hub.models import Event, Identity, Profile, ProfileMerge
from tests.inbound.support import EMPTY, basic, counts


def post(client: FlaskClient, path: str, key: str, body: Any) -> Any:
    return client.post(path, json=body, headers=basic(key))


def stored(app: Flask) -> list[Event]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Event).order_by(Event.id)))


def identities_of(app: Flask, profile_id: int) -> set[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Identity.kind, Identity.value).where(Identity.profile_id == profile_id)
        )
        return {(kind, value) for kind, value in rows}


def test_track_is_stored_under_its_message_id(app: Flask, client: FlaskClient, write_key: str) -> None:
    body = {
        "userId": "u-1",
        "event": "Order Completed",
        "messageId": "msg-1",
        "timestamp": "2026-01-02T03:04:05Z",
        "properties": {"total": 42, "currency": "EUR"},
    }
    response = post(client, "/v1/track", write_key, body)
    assert response.status_code == 200
    assert response.json == {
        "success": True, "accepted": 1, "duplicates": 0, "rejected": [], "ignored": [], "warnings": [],
    }  # fmt: skip
    (event,) = stored(app)
    assert (event.name, event.external_id, event.properties) == (
        "Order Completed",
        "msg-1",
        body["properties"],
    )
    assert event.occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert identities_of(app, event.profile_id) == {("user_id", "u-1")}


def test_the_same_message_id_twice_is_stored_once(app: Flask, client: FlaskClient, write_key: str) -> None:
    body = {"anonymousId": "anon-1", "event": "Viewed", "messageId": "dup"}
    first, second = post(client, "/v1/track", write_key, body), post(client, "/v1/track", write_key, body)
    assert (first.status_code, first.json["accepted"], first.json["duplicates"]) == (200, 1, 0)
    assert (second.status_code, second.json["accepted"], second.json["duplicates"]) == (200, 0, 1)
    assert counts(app)["events"] == 1


def test_a_message_without_id_but_with_its_own_time_is_deduplicated_by_content(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    """Its timestamp makes it one event: sent again (a retry, a later sentAt) it is a redelivery."""
    body = {"userId": "u-2", "event": "Clicked", "timestamp": "2026-01-01T00:00:00Z"}
    post(client, "/v1/track", write_key, body)
    again = post(client, "/v1/track", write_key, {**body, "sentAt": "2026-01-01T00:00:01Z"})
    assert (again.json["accepted"], again.json["duplicates"]) == (0, 1)
    batch = post(client, "/v1/batch", write_key, {"batch": [{"type": "track", **body}]})
    assert (batch.json["accepted"], batch.json["duplicates"]) == (0, 1)
    assert counts(app)["events"] == 1


def test_a_message_without_id_or_time_gets_an_id_as_segment_generates_one(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    """Adding to cart twice is two events, as in Segment, which generates a messageId per message."""
    body = {"userId": "u-2", "event": "Product Added", "properties": {"sku": "A-1"}}
    assert post(client, "/v1/track", write_key, body).json["accepted"] == 1
    assert post(client, "/v1/track", write_key, body).json["accepted"] == 1
    twice = post(client, "/v1/batch", write_key, {"batch": [{"type": "track", **body}] * 2})
    assert (twice.json["accepted"], twice.json["duplicates"]) == (2, 0)
    ids = [e.external_id for e in stored(app)]
    assert len(set(ids)) == 4
    assert all(uuid.UUID(external_id).version == 4 for external_id in ids)


def test_identify_merges_the_anonymous_and_known_profiles(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    post(client, "/v1/track", write_key, {"anonymousId": "a-9", "event": "Landing", "messageId": "m1"})
    post(client, "/v1/track", write_key, {"userId": "u-9", "event": "Login", "messageId": "m2"})
    anonymous, known = (e.profile_id for e in stored(app))
    assert anonymous < known
    traits = {
        "email": "Ada@Example.com",
        "plan": "pro",
        "segment": "smb",
        "country": "DE",
        "timezone": "Europe/Berlin",
    }
    response = post(
        client,
        "/v1/identify",
        write_key,
        {"userId": "u-9", "anonymousId": "a-9", "traits": traits, "messageId": "m3"},
    )
    assert response.status_code == 200
    events = stored(app)
    assert [e.name for e in events] == ["Landing", "Login", "identify"]
    assert events[2].properties == traits
    assert {e.profile_id for e in events} == {anonymous}
    assert identities_of(app, anonymous) == {
        ("anonymous_id", "a-9"),
        ("user_id", "u-9"),
        ("email", "ada@example.com"),
    }
    with app.app_context():
        profile = db.session.get(Profile, anonymous)
        assert profile is not None and profile.traits == traits
        merge = db.session.scalars(sa.select(ProfileMerge)).one()
        assert (merge.survivor_id, merge.merged_profile_id) == (anonymous, known)
        assert db.session.get(Profile, known) is None


def test_context_traits_timezone_and_country_reach_the_profile(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    context = {"traits": {"plan": "trial"}, "timezone": "America/Chicago", "location": {"country": "US"}}
    post(client, "/v1/track", write_key, {"userId": "u-3", "event": "Opened", "context": context})
    (event,) = stored(app)
    with app.app_context():
        profile = db.session.get(Profile, event.profile_id)
        assert profile is not None
        assert profile.traits == {"plan": "trial", "timezone": "America/Chicago", "country": "US"}


def test_batch_stores_the_valid_messages_and_reports_the_others(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    batch = [
        {"type": "track", "userId": "u-1", "event": "A", "messageId": "b0"},
        {"type": "identify", "userId": "u-1", "traits": {"plan": "team"}, "messageId": "b1"},
        {"type": "page", "userId": "u-1", "name": "Pricing", "messageId": "b2"},
        {"type": "track", "userId": "u-1", "event": "B", "timestamp": 1700000000, "messageId": "b3"},
        {"type": "track", "event": "C", "messageId": "b4"},
        {"type": "track", "userId": "u-1", "messageId": "b5"},
        {"type": "alias", "userId": "u-1", "previousId": "old", "messageId": "b6"},
        {"userId": "u-1", "event": "D", "messageId": "b7"},
        "not an object",
    ]
    response = post(
        client, "/v1/batch", write_key, {"batch": batch, "context": {"library": {"name": "test"}}}
    )
    assert response.status_code == 200
    assert (response.json["accepted"], response.json["duplicates"]) == (3, 0)
    assert [(r["index"], r["field"]) for r in response.json["rejected"]] == [
        (3, "batch.3.timestamp"), (4, "batch.4.userId"), (5, "batch.5.event"), (7, "batch.7.type"), (8, "batch.8"),
    ]  # fmt: skip
    assert response.json["ignored"] == [
        {"index": 6, "field": "batch.6.type", "message": "alias calls are not stored"}
    ]
    events = stored(app)
    assert [(e.name, e.external_id) for e in events] == [("A", "b0"), ("identify", "b1"), ("page", "b2")]
    assert events[2].properties == {"name": "Pricing"}


def test_a_batch_with_nothing_valid_is_refused_whole(app: Flask, client: FlaskClient, write_key: str) -> None:
    batch = [
        {"type": "track", "userId": "u", "event": "E", "timestamp": "yesterday"},
        {"type": "track", "event": "F"},
    ]
    response = post(client, "/v1/batch", write_key, {"batch": batch})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_events"
    assert [d["field"] for d in error["details"]] == ["batch.0.timestamp", "batch.1.userId"]
    assert "batch.0.timestamp" in error["message"]
    assert counts(app) == EMPTY


def test_wrong_types_are_named(app: Flask, client: FlaskClient, write_key: str) -> None:
    response = post(client, "/v1/track", write_key, {"userId": ["u"], "event": "E", "properties": [1]})
    assert response.status_code == 400
    assert {d["field"] for d in response.json["error"]["details"]} == {"userId", "properties"}
    empty_batch = post(client, "/v1/batch", write_key, {"batch": []})
    assert empty_batch.status_code == 400
    assert empty_batch.json["error"]["details"][0]["field"] == "batch"
    assert post(client, "/v1/batch", write_key, [1, 2]).status_code == 400
    assert counts(app) == EMPTY


def test_malformed_json_names_the_parsers_reason(app: Flask, client: FlaskClient, write_key: str) -> None:
    response = client.post("/v1/track", data=b'{"userId": "u",', headers=basic(write_key))
    assert response.status_code == 400
    assert "line 1 column 16" in response.json["error"]["message"]
    assert counts(app) == EMPTY


def test_unknown_fields_are_warned_about_and_segments_optional_fields_are_not(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    body = {
        "userId": "u-4", "event": "E", "context": {"ip": "1.2.3.4"}, "integrations": {"All": True},
        "channel": "server", "version": 2, "_metadata": {"nodeVersion": "20"}, "eventName": "typo",
    }  # fmt: skip
    response = post(client, "/v1/track", write_key, body)
    assert response.status_code == 200
    assert response.json["warnings"] == [
        {"index": 0, "field": "eventName", "message": "unknown field, ignored"}
    ]
    assert counts(app)["events"] == 1


def test_timestamps_are_corrected_by_the_clients_clock_skew(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    """The client's clock is a day ahead: its 10-second-old event happened 10 s before receipt."""
    skewed = datetime.now(UTC) + timedelta(days=1)
    message = {"userId": "u-5", "event": "E", "timestamp": (skewed - timedelta(seconds=10)).isoformat()}
    before = datetime.now(UTC)
    post(
        client,
        "/v1/batch",
        write_key,
        {"batch": [{"type": "track", **message}], "sentAt": skewed.isoformat()},
    )
    after = datetime.now(UTC)
    (event,) = stored(app)
    assert before - timedelta(seconds=10) <= event.occurred_at <= after - timedelta(seconds=10)


def test_requests_without_a_known_write_key_are_refused(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    body = {"userId": "u", "event": "E"}
    anonymous = client.post("/v1/track", json=body)
    wrong = post(client, "/v1/track", "not-the-key", body)
    for response in (anonymous, wrong):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].lower().startswith("basic")
        assert response.json["error"]["code"] == "unauthorized"
    assert client.post("/v1/track", data=b"{not json").status_code == 401
    assert counts(app) == EMPTY


def test_the_write_key_may_travel_in_the_body_as_newer_segment_libraries_send_it(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    batch = {"batch": [{"type": "track", "userId": "u", "event": "E"}], "writeKey": write_key}
    assert client.post("/v1/batch", json=batch).status_code == 200
    assert counts(app)["events"] == 1
