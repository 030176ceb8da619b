"""`POST /hooks/generic/<id>`: Standard Webhooks as its reference library signs them.

Every refusal is checked against the database too: a webhook that is refused must leave
nothing behind, or a retried delivery would find half of itself already stored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from connectors.generic import CONNECTOR, signature
from connectors.sdk import ConfigProblem
from hub.db import db
from hub.models import Event, Profile
from tests.conftest import close_app, make_app
from tests.inbound.support import EMPTY, add_connection, counts, dumps, standard_headers

EVENT = {
    "event": "trial_expired",
    "user_id": "u-1",
    "email": "Ada@Example.com",
    "properties": {"days": 14},
    "traits": {"plan": "trial", "segment": "smb"},
    "timestamp": "2026-03-01T12:00:00+01:00",
}


def deliver(client: FlaskClient, connection_id: int, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
    return client.post(f"/hooks/generic/{connection_id}", data=body, headers=headers)


def test_one_signed_event_is_stored_with_its_traits(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    body = dumps(EVENT)
    response = deliver(client, connection_id, standard_headers(secret, body, "msg_1"), body)
    assert response.status_code == 200
    assert response.json == {"accepted": 1, "duplicates": 0, "rejected": [], "ignored": [], "warnings": []}
    with app.app_context():
        event = db.session.scalars(sa.select(Event)).one()
        assert (event.external_id, event.name, event.properties) == ("msg_1", "trial_expired", {"days": 14})
        assert event.occurred_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
        profile = db.session.get(Profile, event.profile_id)
        assert profile is not None
        assert profile.traits == {"plan": "trial", "segment": "smb", "email": "Ada@Example.com"}
        assert {(i.kind, i.value) for i in profile.identities} == {
            ("user_id", "u-1"),
            ("email", "ada@example.com"),
        }


def test_a_redelivery_with_the_same_webhook_id_is_stored_once(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    body = dumps(EVENT)
    first = deliver(client, connection_id, standard_headers(secret, body, "msg_same"), body)
    again = deliver(client, connection_id, standard_headers(secret, body, "msg_same"), body)
    assert (first.json["accepted"], again.json["accepted"], again.json["duplicates"]) == (1, 0, 1)
    assert counts(app)["events"] == 1


def test_a_list_stores_valid_items_under_indexed_ids_and_reports_the_rest(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    items = [
        {"event": "a", "anonymous_id": "anon-1"},
        {"event": "b"},
        {"event": "c", "email": "not-an-email"},
        {"event": "d", "user_id": "u-2", "timestamp": 1700000000},
        {"event": "e", "user_id": "u-2", "properties": ["x"]},
        7,
        {"event": "f", "user_id": "u-2", "colour": "blue"},
    ]
    body = dumps(items)
    response = deliver(client, connection_id, standard_headers(secret, body, "msg_list"), body)
    assert response.status_code == 200
    assert response.json["accepted"] == 2
    assert [(r["index"], r["field"]) for r in response.json["rejected"]] == [
        (1, "1.user_id"), (2, "2.email"), (3, "3.timestamp"), (4, "4.properties"), (5, "5"),
    ]  # fmt: skip
    assert response.json["warnings"] == [
        {"index": 6, "field": "6.colour", "message": "unknown field, ignored"}
    ]
    with app.app_context():
        assert set(db.session.scalars(sa.select(Event.external_id))) == {"msg_list:0", "msg_list:6"}


def test_a_body_with_no_valid_event_is_refused_with_every_reason(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    for body, fields in (
        (dumps([{"event": ""}, {"user_id": "u"}]), ["0.event", "1.event"]),
        (dumps({"event": "x", "user_id": "u", "timestamp": "soon"}), ["timestamp"]),
    ):
        response = deliver(client, connection_id, standard_headers(secret, body, "msg_bad"), body)
        assert response.status_code == 400
        assert [d["field"] for d in response.json["error"]["details"]] == fields
    for body, field in ((b"[]", "(body)"), (b'"text"', "(body)"), (b'{"event": ', "(body)")):
        response = deliver(client, connection_id, standard_headers(secret, body, "msg_bad"), body)
        assert response.status_code == 400
        assert response.json["error"]["details"][0]["field"] == field
    assert counts(app) == EMPTY


def test_malformed_json_is_answered_with_the_parsers_reason(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    body = b'{"event": "x",\n "user_id": }'
    response = deliver(client, connection_id, standard_headers(secret, body, "msg_json"), body)
    assert response.status_code == 400
    assert "malformed JSON: Expecting value: line 2 column 13" in response.json["error"]["message"]
    assert counts(app) == EMPTY


def test_forged_stale_and_future_deliveries_are_refused(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    body = dumps(EVENT)
    now = datetime.now(UTC)
    other_secret = signature.new_secret()
    good = standard_headers(secret, body, "msg_x")
    refused = {
        "missing": {"Content-Type": "application/json"},
        "other secret": standard_headers(other_secret, body, "msg_x"),
        "other id": {**good, "webhook-id": "msg_y"},
        "tampered": standard_headers(secret, body, "msg_x"),
        "stale": standard_headers(secret, body, "msg_x", at=now - timedelta(seconds=360)),
        "future": standard_headers(secret, body, "msg_x", at=now + timedelta(seconds=360)),
        "not a number": {**good, "webhook-timestamp": "soon"},
        "v2 only": {**good, "webhook-signature": good["webhook-signature"].replace("v1,", "v2,")},
    }
    for case, headers in refused.items():
        sent = body.replace(b"14", b"15") if case == "tampered" else body
        response = deliver(client, connection_id, headers, sent)
        assert response.status_code == 401, case
        assert response.json["error"]["code"] == "invalid_signature", case
    assert counts(app) == EMPTY
    near = standard_headers(secret, body, "msg_near", at=now - timedelta(seconds=250))
    assert deliver(client, connection_id, near, body).status_code == 200


def test_any_of_several_signatures_may_match_during_key_rotation(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    body = dumps(EVENT)
    headers = standard_headers(secret, body, "msg_rot")
    retired = standard_headers(signature.new_secret(), body, "msg_rot")["webhook-signature"]
    headers["webhook-signature"] = f"{retired} {headers['webhook-signature']} v2,abc"
    assert deliver(client, connection_id, headers, body).status_code == 200
    assert counts(app)["events"] == 1


def test_the_tolerance_comes_from_the_settings(tmp_path: Path, database_url: str) -> None:
    strict = make_app(tmp_path, database_url, JOURNEYHUB_WEBHOOK_TOLERANCE_S="30")
    try:
        connection_id, generated = add_connection(strict, "generic")
        body = dumps(EVENT)
        at = datetime.now(UTC) - timedelta(seconds=60)
        response = deliver(
            strict.test_client(), connection_id, standard_headers(generated["secret"], body, "m", at), body
        )
        assert response.status_code == 401
        assert "30 s" in response.json["error"]["message"]
        assert counts(strict) == EMPTY
    finally:
        close_app(strict)


def test_secrets_are_standard_webhooks_secrets() -> None:
    generated = CONNECTOR.generate_settings({})["secret"]
    assert generated.startswith("whsec_") and len(signature.secret_key(generated)) == signature.SECRET_BYTES
    assert CONNECTOR.generate_settings({"secret": generated}) == {}
    for bad in ("plain", "whsec_***", "whsec_c2hvcnQ="):
        with pytest.raises(ConfigProblem) as problem:
            CONNECTOR.prepare_config({"secret": bad})
        assert "secret" in problem.value.problems
