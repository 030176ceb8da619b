"""Amplitude's cohort webhooks pushed to /hooks/amplitude/<id>, on SQLite and PostgreSQL.

`in_cohort` true/false batches enter and leave members; `message_id` makes a redelivery a
no-op; the secret travels in the header set on the connection; answers come within a second
(the membership changes after commit) in the hub's own shape, since Amplitude reads only 200.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.amplitude.fake import AmplitudeFake
from connectors.registry import get_connector
from connectors.sdk import ConfigProblem
from hub.db import db
from hub.models import Event
from tests.connectors.push_support import (
    amplitude_body,
    amplitude_connection,
    drain,
    events,
    members,
    replaced,
    tally,
)
from tests.inbound.support import assert_error, dumps, served

HEADER = "X-Journeyhub-Secret"


@pytest.fixture
def amplitude(app: Flask) -> tuple[int, dict[str, str]]:
    connection_id, secret = amplitude_connection(app)
    return connection_id, {HEADER: secret}


def post(app: Flask, connection_id: int, body: Any, headers: dict[str, str]) -> Any:
    data = body if isinstance(body, bytes) else dumps(body)
    headers = {**headers, "Content-Type": "application/json", "User-Agent": "Amplitude/Webhook/1.0"}
    return app.test_client().post(f"/hooks/amplitude/{connection_id}", data=data, headers=headers)


def test_batches_enter_and_leave_members_when_amplitude_computed_it(app: Flask, amplitude: Any) -> None:
    connection_id, auth = amplitude
    entered = post(app, connection_id, amplitude_body(True, ["u-1", "u-2", "u-3"]), auth)
    assert entered.status_code == 200
    assert (entered.json["kind"], entered.json["members"], entered.json["duplicate"]) == ("added", 3, False)
    left = post(app, connection_id, amplitude_body(False, ["u-2", "u-9"], message_id="m-2"), auth)
    assert left.status_code == 200 and left.json["kind"] == "removed"
    drain(app)
    assert members(app, connection_id, "abc1234") == {"u-1", "u-3"}
    assert events(app, connection_id) == [
        ("cohort_entered", "u-1"), ("cohort_entered", "u-2"), ("cohort_entered", "u-3"),
        ("cohort_exited", "u-2"),
    ]  # fmt: skip
    with app.app_context():
        stored = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
    assert {e.occurred_at for e in stored} == {datetime(2026, 1, 1, tzinfo=UTC)}
    assert stored[0].properties["traits"] == {"plan": "pro"}
    assert stored[0].properties["cohort_name"] == "Churn risk"


def test_a_batch_delivered_twice_changes_nothing_the_second_time(app: Flask, amplitude: Any) -> None:
    connection_id, auth = amplitude
    batches = [
        amplitude_body(True, ["u-1", "u-2"], message_id="m-1"),
        amplitude_body(False, ["u-1"], message_id="m-2"),
    ]
    for body in batches:
        assert post(app, connection_id, body, auth).json["duplicate"] is False
    drain(app)
    once = (tally(app), events(app, connection_id), members(app, connection_id, "abc1234"))
    for body in [batches[0], *batches]:  # a timed-out batch comes again under its message_id
        answer = post(app, connection_id, body, auth)
        assert answer.status_code == 200 and answer.json["duplicate"] is True
    drain(app)
    assert (tally(app), events(app, connection_id), members(app, connection_id, "abc1234")) == once
    assert once[2] == {"u-2"}


def test_users_without_an_id_are_skipped_and_named(app: Flask, amplitude: Any) -> None:
    connection_id, auth = amplitude
    body = amplitude_body(True, ["u-1"])
    body["users"] += [
        {"user_id": None, "user_properties": {"email": "anon@example.com"}},
        {"amplitude_id": 3141, "user_properties": None},
    ]
    answer = post(app, connection_id, body, auth)
    assert answer.json["members"] == 2
    assert [r["field"] for r in answer.json["rejected"]] == ["users.1"]
    drain(app)
    assert members(app, connection_id, "abc1234") == {"u-1", "amplitude_id:3141"}


@pytest.mark.parametrize("damage", ["missing", "wrong", "other header", "empty"])
def test_a_wrong_secret_is_401_and_stores_nothing(app: Flask, amplitude: Any, damage: str) -> None:
    connection_id, auth = amplitude
    secret = auth[HEADER]
    headers = {
        "missing": {},
        "wrong": {HEADER: secret + "x"},
        "other header": {"X-Secret": secret},
        "empty": {HEADER: ""},
    }[damage]
    answer = post(app, connection_id, amplitude_body(True, ["u-1"]), headers)
    assert answer.status_code == 401 and set(answer.json) == {"error"}
    assert answer.json["error"]["code"] == "invalid_signature"
    drain(app)
    assert tally(app) == {k: 0 for k in tally(app)}


def test_the_header_named_on_the_connection_carries_the_secret(app: Flask) -> None:
    connection_id, _ = amplitude_connection(app, webhook_header="X-Amp-Token", webhook_secret="tok-123")
    body = amplitude_body(True, ["u-1"])
    assert post(app, connection_id, body, {"X-Amp-Token": "tok-123"}).status_code == 200
    assert post(app, connection_id, body, {HEADER: "tok-123"}).status_code == 401


def test_a_header_name_http_cannot_carry_is_refused_when_the_connection_is_saved() -> None:
    with pytest.raises(ConfigProblem) as refused:
        get_connector("amplitude").prepare_config(
            {"api_key": "k", "secret_key": "s", "webhook_header": "X Secret: 1"}
        )
    assert set(refused.value.problems) == {"webhook_header"}


def broken(path: str, value: Any) -> dict[str, Any]:
    return replaced(amplitude_body(True, ["u-1", "u-2"]), path, value)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("cohort_id", "~", "cohort_id"),
        ("cohort_id", ["x"], "cohort_id"),
        ("message_id", "~", "message_id"),
        ("message_id", "m" * 151, "message_id"),
        ("in_cohort", "~", "in_cohort"),
        ("in_cohort", "yes", "in_cohort"),
        ("in_cohort", 1, "in_cohort"),
        ("in_cohort", [True], "in_cohort"),
        ("computed_time", "yesterday", "computed_time"),
        ("computed_time", "1e400", "computed_time"),
        ("cohort_name", 7, "cohort_name"),
        ("users", "~", "users"),
        ("users", {"user_id": "u"}, "users"),
        ("users.1", "u-2", "users.1"),
        ("users.1.user_id", {"id": 1}, "users.1.user_id"),
        ("users.1.user_id", "u" * 300, "users.1.user_id"),
        ("users.1.user_properties", ["plan"], "users.1.user_properties"),
        ("users.1.user_properties.email", 5.5, "users.1.user_properties.email"),
        ("users.0.user_properties.plan", "pro\x00", "users.0.user_properties.plan"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field_and_store_nothing(
    app: Flask, amplitude: Any, path: str, value: Any, field: str
) -> None:
    connection_id, auth = amplitude
    assert_error(post(app, connection_id, broken(path, value), auth), 400, field)
    drain(app)
    assert tally(app) == {k: 0 for k in tally(app)}


def test_older_templates_name_the_time_compute_time(app: Flask, amplitude: Any) -> None:
    connection_id, auth = amplitude
    body = amplitude_body(True, ["u-1"])
    body["compute_time"] = body.pop("computed_time")
    assert post(app, connection_id, body, auth).status_code == 200
    older = broken("computed_time", "~") | {"compute_time": "x"}
    assert_error(post(app, connection_id, older, auth), 400, "compute_time")


def test_a_large_batch_is_answered_within_a_second_and_applied_after(app: Flask, amplitude: Any) -> None:
    """8,000 users (under the 1 MB body limit); the median of three rounds, the machine being
    shared. On SQLite a delivery waits for the one writer, hence the drain between rounds."""
    connection_id, auth = amplitude
    post(app, connection_id, amplitude_body(True, ["warm-up"]), auth)
    drain(app)
    times = []
    users = [f"user-{i}" for i in range(8_000)]
    for round_ in range(3):  # the same users again under new message ids: entering changes nothing
        data = dumps(amplitude_body(True, users, message_id=f"big-{round_}"))
        assert len(data) < app.config["MAX_CONTENT_LENGTH"]
        started = time.perf_counter()
        answer = post(app, connection_id, data, auth)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200 and answer.json["members"] == 8_000
        drain(app)
    assert sorted(times)[1] < 1.0, f"answered in {times} s"
    assert len(members(app, connection_id, "abc1234")) == 8_001


def test_the_fake_pushes_everyone_then_who_entered_and_left(app: Flask) -> None:
    with AmplitudeFake(members=120, seed=4) as fake:
        connection_id, secret = amplitude_connection(app, **fake.credentials)
        ref = fake.source_ref(3)  # churn risk
        named = {fake.user_id(fake.population.person(i)) for i in fake.population.members(3)} - {""}
        assert len(named) >= 2
        with served(app) as base_url:
            url = f"{base_url}/hooks/amplitude/{connection_id}"
            credentials = {"header": HEADER, "secret": secret}
            first = fake.push(url, ref, credentials, size=3)
            assert {s.body["in_cohort"] for s in first} == {True} and all(s.status == 200 for s in first)
            assert len({s.body["message_id"] for s in first}) == len(first) == (len(named) + 2) // 3
            drain(app)
            assert members(app, connection_id, ref) == named
            gone = sorted(named)[0]
            fake.remove_member(ref, fake.member_id(int(gone.removeprefix("user-"))))
            fake.add_member(ref, {"extra": {"user_id": "user-new"}})
            again = fake.push(url, ref, credentials)
            assert [(s.body["in_cohort"], [u["user_id"] for u in s.body["users"]]) for s in again] == [
                (True, ["user-new"]),
                (False, [gone]),
            ]
            drain(app)
    assert members(app, connection_id, ref) == named - {gone} | {"user-new"}


def test_the_fake_pushes_over_http(app: Flask) -> None:
    import requests

    with AmplitudeFake(members=60, seed=8) as fake:
        connection_id, secret = amplitude_connection(app, **fake.credentials)
        ref = fake.source_ref(2)
        with served(app) as base_url:
            spec = {"url": f"{base_url}/hooks/amplitude/{connection_id}", "cohort": ref, "header": HEADER}
            answer = requests.post(f"{fake.base_url}/_fake/push", json={**spec, "secret": secret}, timeout=10)
            assert answer.status_code == 200 and {s["status"] for s in answer.json()["sent"]} <= {200}
            drain(app)
    named = {fake.user_id(fake.population.person(i)) for i in fake.population.members(2)} - {""}
    assert members(app, connection_id, ref) == named
