"""Membership changes become exactly the entered/exited events, and one cohort syncs one at a time.

Parametrised over the same registry-discovered sources as the conformance suite.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from connectors.sdk.fakes.server import FakeServer
from hub.cohorts.service import create_cohort
from hub.cohorts.sync import AlreadySyncing, Outcome, run_sync
from hub.db import db
from hub.models import Event, Run
from tests.connectors.conftest import (
    Sleeps,
    add_connection,
    cohort_events,
    cohort_refs,
    fail_after_first_page,
    stored_refs,
)


def setup_cohort(app: Flask, connector_name: str, fake: FakeServer) -> tuple[int, str]:
    connection_id = add_connection(app, connector_name, fake)
    ref = str(fake.cohorts()[0]["source_ref"])
    with app.app_context():
        cohort = create_cohort(connection_id, ref, "Everyone")
        db.session.commit()
        return cohort.id, ref


def test_second_sync_yields_exactly_the_changes(
    app: Flask, connector_name: str, small_fake: FakeServer, sleeps: Sleeps
) -> None:
    cohort_id, ref = setup_cohort(app, connector_name, small_fake)
    with app.app_context():
        first = run_sync(cohort_id)
        assert first.stats["entered"] == len(cohort_refs(small_fake, ref))
        joined = [small_fake.add_member(ref) for _ in range(2)]
        left = sorted(stored_refs(cohort_id))[:3]
        for member in left:
            small_fake.remove_member(ref, member)
        seen = len(cohort_events(cohort_id))

        second = run_sync(cohort_id)
        assert (second.stats["entered"], second.stats["exited"]) == (2, 3)
        changes = cohort_events(cohort_id)[seen:]
        assert sorted(changes) == sorted(
            [("cohort_entered", m) for m in joined] + [("cohort_exited", m) for m in left]
        )
        assert stored_refs(cohort_id) == cohort_refs(small_fake, ref)

        quiet = run_sync(cohort_id)
        assert (quiet.stats["entered"], quiet.stats["exited"]) == (0, 0)
        assert len(cohort_events(cohort_id)) == seen + 5

        small_fake.add_member(ref, left[0])
        back = run_sync(cohort_id)
        assert back.stats["entered"] == 1
        assert cohort_events(cohort_id)[-1] == ("cohort_entered", left[0])

        exits = db.session.scalars(sa.select(Event).where(Event.name == "cohort_exited")).all()
        entries = {e.properties["member_ref"]: e for e in db.session.scalars(sa.select(Event))}
        for event in exits:
            assert event.properties["cohort_name"] == "Everyone" and event.properties["traits"]
            assert event.profile_id == entries[event.properties["member_ref"]].profile_id


def test_a_held_sync_shows_live_progress_and_refuses_company(
    app: Flask, api: FlaskClient, connector_name: str, fake: FakeServer, sleeps: Sleeps
) -> None:
    cohort_id, ref = setup_cohort(app, connector_name, fake)
    with app.app_context():
        before = fake.request_count
        baseline = run_sync(cohort_id)
    first_page_requests = -(-(fake.request_count - before) // baseline.stats["pages"])
    newcomer = fake.add_member(ref)
    fail_after_first_page(fake, 429, first_page_requests, retry_after=1)
    sleeps.hold()
    finished: list[Outcome] = []
    worker = threading.Thread(target=lambda: finished.append(_sync_in(app, cohort_id)))
    worker.start()
    try:
        assert sleeps.sleeping.wait(timeout=30)
        run = _running_once_a_page_is_in(api)
        assert run["subject"] == f"cohort:{cohort_id}" and run["stats"]["pages"] >= 1
        assert run["stats"]["members_seen"] >= 1 and api.get(f"/api/v1/cohorts/{cohort_id}").json["syncing"]
        with app.app_context():
            for _ in range(3):
                try:
                    run_sync(cohort_id)
                except AlreadySyncing as exc:
                    assert exc.run_id == run["id"]
                else:
                    raise AssertionError("a second sync ran while the first held the cohort")
        asked = api.post(f"/api/v1/cohorts/{cohort_id}/sync")
        assert asked.status_code == 202 and (asked.json["run_id"], asked.json["run_status"]) == (
            run["id"],
            "running",
        )
    finally:
        sleeps.release.set()
        worker.join(timeout=60)
    assert finished and finished[0].status == "succeeded" and finished[0].run_id == run["id"]
    assert api.get(f"/api/v1/runs/{run['id']}").json["stats"]["entered"] == 1
    with app.app_context():
        assert cohort_events(cohort_id).count(("cohort_entered", newcomer)) == 1


def test_simultaneous_attempts_run_once(
    app: Flask, connector_name: str, small_fake: FakeServer, sleeps: Sleeps
) -> None:
    cohort_id, ref = setup_cohort(app, connector_name, small_fake)
    small_fake.inject_fault(429, retry_after=1)
    sleeps.hold()
    start = threading.Barrier(4)
    results: list[Outcome | Exception] = []

    def attempt() -> None:
        start.wait()
        try:
            results.append(_sync_in(app, cohort_id))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    assert sleeps.sleeping.wait(timeout=30)
    deadline = time.monotonic() + 30
    while len(results) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    sleeps.release.set()
    for thread in threads:
        thread.join(timeout=60)

    outcomes = [r for r in results if isinstance(r, Outcome)]
    assert len(outcomes) == 1 and sum(isinstance(r, AlreadySyncing) for r in results) == 3
    assert outcomes[0].status == "succeeded"
    with app.app_context():
        runs = db.session.scalars(sa.select(Run).where(Run.subject == f"cohort:{cohort_id}")).all()
        assert [r.status for r in runs] == ["succeeded"]
        assert sorted(m for _, m in cohort_events(cohort_id)) == sorted(cohort_refs(small_fake, ref))


def _running_once_a_page_is_in(api: FlaskClient) -> dict[str, Any]:
    """The running sync's run once its first page is staged: pages are fetched ahead, so the
    provider may already be holding the next one while the first is still being written."""
    deadline = time.monotonic() + 10
    while True:
        found = api.get("/api/v1/runs", query_string={"kind": "cohort_sync", "status": "running"}).json
        run: dict[str, Any] = found["items"][0]
        if run["stats"]["pages"] >= 1 or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def _sync_in(app: Flask, cohort_id: int) -> Outcome:
    with app.app_context():
        return run_sync(cohort_id)
