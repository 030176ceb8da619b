"""Mixpanel's cohort sync pushed to /hooks/mixpanel/<id>, on SQLite and PostgreSQL.

Pages of a `members` session become one snapshot, diffed like a pull only once all arrived;
`add_members` / `remove_members` are increments; a redelivery changes nothing; answers are in
Mixpanel's own shape, failures included, and the work happens after the answer.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from connectors.mixpanel.fake import MixpanelFake
from hub.cohorts import lease
from hub.cohorts.pushed import enqueue_pending_pushes
from hub.db import db, utcnow
from hub.models import Cohort, PushDelivery, Run
from hub.runtime.jobs import RQBackend
from tests.connectors.push_support import (
    basic,
    cohort_id,
    drain,
    events,
    members,
    mixpanel_body,
    mixpanel_connection,
    person,
    tally,
)
from tests.inbound.support import dumps, served

SUCCESS = {"status": "success"}


@pytest.fixture
def mixpanel(app: Flask) -> tuple[int, dict[str, str]]:
    connection_id, password = mixpanel_connection(app)
    return connection_id, basic("mixpanel", password)


def post(app: Flask, connection_id: int, body: Any, headers: dict[str, str]) -> Any:
    data = body if isinstance(body, bytes) else dumps(body)
    return app.test_client().post(
        f"/hooks/mixpanel/{connection_id}", data=data, headers={**headers, "Content-Type": "application/json"}
    )


def assert_failure(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Mixpanel's failure shape, our error object inside it (code, message, details)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"action", "status", "error"} and response.json["status"] == "failure"
    error: dict[str, Any] = response.json["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    if field is not None:
        assert field in [d["field"] for d in error["details"]], error
    return error


def test_pages_out_of_order_become_one_snapshot_diffed_like_a_pull(app: Flask, mixpanel: Any) -> None:
    connection_id, auth = mixpanel
    pages = {n: [person(2 * n), person(2 * n + 1)] for n in (1, 2, 3)}
    for n in (3, 1, 2):
        answer = post(app, connection_id, mixpanel_body("members", pages[n], page=n, pages=3), auth)
        assert answer.status_code == 200 and answer.json == {"action": "members", **SUCCESS}
    drain(app)
    assert members(app, connection_id, "31001") == {f"d-{i}" for i in range(2, 8)}
    assert sorted(events(app, connection_id)) == sorted(("cohort_entered", f"d-{i}") for i in range(2, 8))
    with app.app_context():
        cohort = db.session.scalars(sa.select(Cohort)).one()
        run = db.session.scalars(sa.select(Run).where(Run.kind == "cohort_push")).one()
        assert (cohort.name, cohort.member_count, cohort.next_sync_at) == ("Power users", 6, None)
        assert run.status == "succeeded"
        assert {k: run.stats[k] for k in ("kind", "deliveries", "entered", "exited", "members")} == {
            "kind": "snapshot", "deliveries": 3, "entered": 6, "exited": 0, "members": 6,
        }  # fmt: skip


def test_a_session_missing_a_page_changes_nothing_until_it_arrives(app: Flask, mixpanel: Any) -> None:
    connection_id, auth = mixpanel
    for n in (1, 2):
        assert (
            post(app, connection_id, mixpanel_body("members", [person(n)], page=n, pages=3), auth).status_code
            == 200
        )
    drain(app)
    before = tally(app)
    assert members(app, connection_id, "31001") == set() and events(app, connection_id) == []
    assert before["push_runs"] == 0 and before["push_deliveries"] == 2
    assert (
        post(app, connection_id, mixpanel_body("members", [person(3)], page=3, pages=3), auth).status_code
        == 200
    )
    drain(app)
    assert members(app, connection_id, "31001") == {"d-1", "d-2", "d-3"}


def test_a_new_snapshot_replaces_the_membership_and_an_unfinished_one_is_superseded(
    app: Flask, mixpanel: Any
) -> None:
    connection_id, auth = mixpanel
    post(app, connection_id, mixpanel_body("members", [person(1), person(2)], session="a"), auth)
    post(app, connection_id, mixpanel_body("members", [person(9)], session="dead", pages=2), auth)
    post(app, connection_id, mixpanel_body("members", [person(2), person(3)], session="b"), auth)
    drain(app)
    assert members(app, connection_id, "31001") == {"d-2", "d-3"}
    assert events(app, connection_id)[2:] == [("cohort_exited", "d-1"), ("cohort_entered", "d-3")]
    with app.app_context():
        statuses = db.session.execute(
            sa.text("SELECT session, status FROM push_deliveries ORDER BY id")
        ).all()
    assert [tuple(row) for row in statuses] == [("a", "applied"), ("dead", "superseded"), ("b", "applied")]


def test_a_snapshot_still_missing_pages_is_given_up_once_a_later_change_is_applied(
    app: Flask, mixpanel: Any
) -> None:
    connection_id, auth = mixpanel
    post(app, connection_id, mixpanel_body("members", [person(1)], session="whole"), auth)
    post(app, connection_id, mixpanel_body("members", [person(5)], session="cut", pages=2), auth)
    post(app, connection_id, mixpanel_body("add_members", [person(2)], session="later"), auth)
    drain(app)
    late = mixpanel_body("members", [person(6)], session="cut", page=2, pages=2)
    assert post(app, connection_id, late, auth).status_code == 200
    drain(app)
    assert members(app, connection_id, "31001") == {"d-1", "d-2"}  # not {"d-5", "d-6"}
    with app.app_context():
        statuses = db.session.execute(
            sa.text("SELECT session, status FROM push_deliveries ORDER BY id")
        ).all()
    assert [tuple(row) for row in statuses] == [
        ("whole", "applied"), ("cut", "superseded"), ("later", "applied"), ("cut", "pending"),
    ]  # fmt: skip


def test_increments_enter_and_leave_only_the_members_they_name(app: Flask, mixpanel: Any) -> None:
    connection_id, auth = mixpanel
    post(app, connection_id, mixpanel_body("members", [person(1), person(2)]), auth)
    drain(app)
    add = mixpanel_body("add_members", [person(2), person(3)], session="s-2")
    remove = mixpanel_body("remove_members", [person(1), person(7)], session="s-2")
    assert post(app, connection_id, add, auth).json == {"action": "add_members", **SUCCESS}
    assert post(app, connection_id, remove, auth).json == {"action": "remove_members", **SUCCESS}
    empty = mixpanel_body("add_members", [], session="s-3")
    assert post(app, connection_id, empty, auth).json == {"action": "add_members", **SUCCESS}
    drain(app)
    assert members(app, connection_id, "31001") == {"d-2", "d-3"}
    assert events(app, connection_id)[2:] == [("cohort_entered", "d-3"), ("cohort_exited", "d-1")]


def test_a_delivery_sent_twice_changes_nothing_the_second_time(app: Flask, mixpanel: Any) -> None:
    connection_id, auth = mixpanel
    bodies = [
        mixpanel_body("members", [person(1)], page=1, pages=2),
        mixpanel_body("members", [person(2)], page=2, pages=2),
        mixpanel_body("add_members", [person(3)], session="s-2"),
        mixpanel_body("remove_members", [person(1)], session="s-2"),
    ]
    for body in bodies:
        assert post(app, connection_id, body, auth).status_code == 200
    drain(app)
    once = (tally(app), events(app, connection_id), members(app, connection_id, "31001"))
    for body in bodies:  # Mixpanel resends after a failure it saw part-way
        assert post(app, connection_id, body, auth).json["status"] == "success"
    drain(app)
    assert (tally(app), events(app, connection_id), members(app, connection_id, "31001")) == once
    assert once[2] == {"d-2", "d-3"}


@pytest.mark.parametrize("damage", ["none", "wrong password", "wrong user", "not base64", "bearer"])
def test_wrong_credentials_are_401_and_store_nothing(app: Flask, damage: str) -> None:
    connection_id, password = mixpanel_connection(app)
    headers = {
        "none": {},
        "wrong password": basic("mixpanel", password + "x"),
        "wrong user": basic("someone", password),
        "not base64": {"Authorization": "Basic not-base64!"},
        "bearer": {"Authorization": f"Bearer {password}"},
    }[damage]
    answer = post(app, connection_id, mixpanel_body("members", [person(1)]), headers)
    assert assert_failure(answer, 401)["code"] == "invalid_signature"
    assert answer.json["action"] == "members"
    drain(app)
    assert tally(app) == {k: 0 for k in tally(app)}


def test_the_pair_set_on_the_connection_is_the_one_checked(app: Flask) -> None:
    connection_id, _ = mixpanel_connection(app, webhook_username="mp-sync", webhook_password="s3cret-pair")
    body = mixpanel_body("members", [person(1)])
    assert post(app, connection_id, body, basic("mp-sync", "s3cret-pair")).status_code == 200
    assert_failure(post(app, connection_id, body, basic("mixpanel", "s3cret-pair")), 401)


def broken(path: str, value: Any) -> dict[str, Any]:
    """A valid members page with the value at `path` (dotted; ~ deletes) replaced."""
    body = mixpanel_body("members", [person(1), person(2)], page=1, pages=2)
    *parents, last = path.split(".")
    node: Any = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value == "~":
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("action", "~", "action"),
        ("action", "members_v2", "action"),
        ("action", ["members"], "action"),
        ("parameters", [], "parameters"),
        ("parameters.mixpanel_cohort_id", "~", "parameters.mixpanel_cohort_id"),
        ("parameters.mixpanel_cohort_id", {"id": 1}, "parameters.mixpanel_cohort_id"),
        ("parameters.mixpanel_cohort_id", "x" * 101, "parameters.mixpanel_cohort_id"),
        ("parameters.mixpanel_session_id", "~", "parameters.mixpanel_session_id"),
        ("parameters.mixpanel_project_id", "123", "parameters.mixpanel_project_id"),
        ("parameters.mixpanel_cohort_name", 5, "parameters.mixpanel_cohort_name"),
        ("parameters.page_info", "~", "parameters.page_info"),
        ("parameters.page_info.page_count", 3, "parameters.page_info.page_count"),
        ("parameters.page_info.page_count", "1", "parameters.page_info.page_count"),
        ("parameters.page_info.total_pages", -1, "parameters.page_info.total_pages"),
        ("parameters.page_info.total_pages", 10**20, "parameters.page_info.total_pages"),
        ("parameters.members", {"a": 1}, "parameters.members"),
        ("parameters.members.1", "d-9", "parameters.members.1"),
        ("parameters.members.1.email", {"x": 1}, "parameters.members.1.email"),
        ("parameters.members.1.mixpanel_distinct_id", "d" * 300, "parameters.members.1.mixpanel_distinct_id"),
        ("parameters.members.0.first_name", "a\udc00", "parameters.members.0.first_name"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field_and_store_nothing(
    app: Flask, mixpanel: Any, path: str, value: Any, field: str
) -> None:
    connection_id, auth = mixpanel
    assert_failure(post(app, connection_id, broken(path, value), auth), 400, field)
    drain(app)
    assert tally(app) == {k: 0 for k in tally(app)}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64 levels"),
        (b'{"action": "members", "parameters": {"n": NaN}}', "NaN is not a JSON number"),
        (b'{"action": "members", "parameters": {"n": 1e400}}', "out of range"),
        (b'{"action": "members\xed\xa0\x80"}', "not UTF-8"),
        (b"", "empty"),
        (b'"members"', "must be an object"),
    ],
)
def test_hostile_bodies_are_400_in_mixpanel_shape(
    app: Flask, mixpanel: Any, body: bytes, reason: str
) -> None:
    connection_id, auth = mixpanel
    error = assert_failure(post(app, connection_id, body, auth), 400, "(body)")
    assert reason in error["message"]
    assert tally(app) == {k: 0 for k in tally(app)}


def timed(send: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    answer = send()
    return answer, time.perf_counter() - started


def test_a_page_as_large_as_a_body_may_be_is_answered_within_a_second(
    app: Flask, mixpanel: Any, database_url: str
) -> None:
    """5,500 members: just under the default 1 MB body limit (JOURNEYHUB_MAX_BODY_BYTES).

    The answer waits only for the delivery's own row. On PostgreSQL it does not wait for the
    job applying the page before it either; SQLite has one writer, so there a delivery waits
    for whatever transaction is writing (as every door of the embedded mode does). The median
    of three rounds is taken: the machine is shared, and one round may lose its core.
    """
    connection_id, auth = mixpanel
    page = [person(i, plan="pro", country="NL", signed_up="2026-01-02T03:04:05") for i in range(5_500)]
    assert 900_000 < len(dumps(mixpanel_body("members", page))) < app.config["MAX_CONTENT_LENGTH"]
    post(app, connection_id, mixpanel_body("members", [person(1)], session="warm-up"), auth)
    drain(app)
    alone, beside = [], []
    for round_ in range(3):
        data = dumps(mixpanel_body("members", page, session=f"big-{round_}"))
        answer, elapsed = timed(lambda: post(app, connection_id, data, auth))  # noqa: B023
        assert answer.json == {"action": "members", **SUCCESS}
        alone.append(elapsed)
        if database_url.startswith("postgresql"):  # while that page is being applied
            small = mixpanel_body("add_members", [person(1)], session=f"s-{round_}")
            answer, elapsed = timed(lambda: post(app, connection_id, small, auth))  # noqa: B023
            assert answer.json == {"action": "add_members", **SUCCESS}
            beside.append(elapsed)
        drain(app)
    assert sorted(alone)[1] < 1.0, f"answered in {alone} s"
    assert not beside or sorted(beside)[1] < 1.0, f"answered in {beside} s beside an apply"
    assert len(members(app, connection_id, "31001")) == 5_500


def test_a_push_waits_while_a_pull_holds_the_cohort(app: Flask, mixpanel: Any) -> None:
    connection_id, auth = mixpanel
    post(app, connection_id, mixpanel_body("members", [person(1)]), auth)
    drain(app)
    the_cohort = cohort_id(app, connection_id, "31001")
    assert the_cohort is not None
    with app.app_context():
        token = lease.claim(db.session, the_cohort, utcnow())
        db.session.commit()
    assert token is not None
    post(app, connection_id, mixpanel_body("add_members", [person(2)], session="s-2"), auth)
    time.sleep(1.0)
    assert members(app, connection_id, "31001") == {"d-1"}  # held back, not lost
    with app.app_context():
        lease.release(db.session, the_cohort, token)
        db.session.commit()
    drain(app)
    assert members(app, connection_id, "31001") == {"d-1", "d-2"}


def test_the_fake_pushes_a_snapshot_then_the_changes(app: Flask) -> None:
    with MixpanelFake(members=200, seed=5) as fake:
        connection_id, password = mixpanel_connection(app, project_id=fake.project_id)
        ref = fake.source_ref(2)  # NPS detractors, a few members
        wanted = {fake.member_id(i) for i in fake.population.members(2)}
        assert len(wanted) >= 3
        with served(app) as base_url:
            url = f"{base_url}/hooks/mixpanel/{connection_id}"
            credentials = {"username": "mixpanel", "password": password}
            sent = fake.push(url, ref, credentials, size=5)
            assert len(sent) == (len(wanted) + 4) // 5 and all(s.status == 200 for s in sent)
            assert {s.body["action"] for s in sent} == {"members"}
            drain(app)
            assert members(app, connection_id, ref) == wanted
            gone = sorted(wanted)[0]
            fake.remove_member(ref, gone)
            joined = fake.add_member(ref)
            again = fake.push(url, ref, credentials)
            assert [s.body["action"] for s in again] == ["add_members", "remove_members"]
            assert all(s.answer == {"action": s.body["action"], **SUCCESS} for s in again)
            drain(app)
    assert members(app, connection_id, ref) == wanted - {gone} | {joined}
    assert events(app, connection_id)[-2:] == [("cohort_entered", joined), ("cohort_exited", gone)]


def test_the_fake_pushes_over_http_and_starts_again_after_a_refusal(app: Flask) -> None:
    import requests

    with MixpanelFake(members=30, seed=6) as fake:
        connection_id, password = mixpanel_connection(app, project_id=fake.project_id)
        ref = fake.source_ref(3)
        with served(app) as base_url:
            spec = {
                "url": f"{base_url}/hooks/mixpanel/{connection_id}",
                "cohort": ref,
                "username": "mixpanel",
            }
            refused = requests.post(
                f"{fake.base_url}/_fake/push", json={**spec, "password": "no"}, timeout=10
            )
            assert refused.status_code == 200 and [s["status"] for s in refused.json()["sent"]] == [401]
            answer = requests.post(
                f"{fake.base_url}/_fake/push", json={**spec, "password": password}, timeout=10
            )
            assert [s["answer"]["action"] for s in answer.json()["sent"]] == ["members"]  # whole again
            drain(app)
    assert members(app, connection_id, ref) == {fake.member_id(i) for i in fake.population.members(3)}


def burst(app: Flask, backend: RQBackend) -> None:
    """A real RQ worker, run here until the queue is empty (its jobs use this app, as
    `journeyhub worker` gives them its own)."""
    with app.app_context():
        SimpleWorker([backend.queue], connection=backend.redis).work(burst=True)


def test_rq_workers_apply_pushes_and_schedule_a_wait_while_a_pull_holds_the_cohort(rq_app: Flask) -> None:
    """The production path: the job is queued after commit, a real RQ worker applies it, and a
    job finding the cohort held schedules its next look instead of failing."""
    backend = rq_app.extensions["journeyhub.jobs"]
    assert isinstance(backend, RQBackend)
    connection_id, password = mixpanel_connection(rq_app)
    auth = basic("mixpanel", password)
    assert (
        post(rq_app, connection_id, mixpanel_body("members", [person(1), person(2)]), auth).status_code == 200
    )
    assert backend.queue.count == 1
    burst(rq_app, backend)
    assert members(rq_app, connection_id, "31001") == {"d-1", "d-2"}
    the_cohort = cohort_id(rq_app, connection_id, "31001")
    assert the_cohort is not None
    with rq_app.app_context():
        token = lease.claim(db.session, the_cohort, utcnow())
        db.session.commit()
    assert token is not None
    post(rq_app, connection_id, mixpanel_body("remove_members", [person(1)], session="s-2"), auth)
    burst(rq_app, backend)
    waiting = ScheduledJobRegistry(queue=backend.queue).get_job_ids()
    assert len(waiting) == 1 and members(rq_app, connection_id, "31001") == {"d-1", "d-2"}
    with rq_app.app_context():
        lease.release(db.session, the_cohort, token)
        db.session.commit()
    backend.queue.enqueue_job(Job.fetch(waiting[0], connection=backend.redis))  # its time has come
    burst(rq_app, backend)
    assert members(rq_app, connection_id, "31001") == {"d-2"}


def test_the_periodic_sweep_applies_a_delivery_whose_job_was_lost(rq_app: Flask) -> None:
    backend = rq_app.extensions["journeyhub.jobs"]
    assert isinstance(backend, RQBackend)
    connection_id, password = mixpanel_connection(rq_app)
    auth = basic("mixpanel", password)
    post(rq_app, connection_id, mixpanel_body("members", [person(1)]), auth)
    backend.queue.empty()  # Redis lost the job: the delivery is stored, nothing will apply it
    with rq_app.app_context():
        assert enqueue_pending_pushes() == []  # a fresh delivery's own job is trusted for a tick
        db.session.execute(sa.update(PushDelivery).values(received_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
        assert enqueue_pending_pushes() == [cohort_id(rq_app, connection_id, "31001")]
        assert enqueue_pending_pushes() and backend.queue.count == 1  # one job per cohort, however many ticks
    burst(rq_app, backend)
    assert members(rq_app, connection_id, "31001") == {"d-1"}
    with rq_app.app_context():
        assert enqueue_pending_pushes() == []
