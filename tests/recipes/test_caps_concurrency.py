"""Caps hold under concurrency: 50 evaluations at once (threads, then processes), on PostgreSQL and SQLite."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from hub.db import db
from hub.models import Event, Profile
from recipes.engine.engine import evaluate
from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import decisions, invites, source

RACERS = 50


def stored_events(app: Flask, people: int, per_person: int) -> list[int]:
    """Rows written directly, so no evaluation is enqueued: the test runs them itself, all at once."""
    connection_id = source(app)
    with app.app_context():
        profiles = [Profile(traits={}) for _ in range(people)]
        db.session.add_all(profiles)
        db.session.flush()
        events = [
            Event(
                connection_id=connection_id,
                external_id=f"{profile.id}-{n}",
                name="trial_expired",
                profile_id=profile.id,
                properties={},
                occurred_at=datetime.now(UTC),
            )
            for profile in profiles
            for n in range(per_person)
        ]
        db.session.add_all(events)
        db.session.commit()
        return [event.id for event in events]


def race(app: Flask, event_ids: list[int]) -> None:
    def one(event_id: int) -> None:
        with app.app_context():
            evaluate(db.session, [event_id])

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        list(pool.map(one, event_ids))


def test_fifty_concurrent_evaluations_for_one_person_make_one_invite(app: Flask, api: FlaskClient) -> None:
    add_recipe(api, add_campaign(api), conditions=None, caps={"per_campaign_person": {"days": 1}})
    race(app, stored_events(app, people=1, per_person=RACERS))
    assert len(invites(app)) == 1
    outcomes = sorted(d.outcome for d in decisions(app))
    assert outcomes == ["invited"] + ["skipped"] * (RACERS - 1)


def test_fifty_people_under_a_daily_budget_of_ten_make_ten_invites(app: Flask, api: FlaskClient) -> None:
    add_recipe(api, add_campaign(api), conditions=None, caps={"daily_budget": 10})
    race(app, stored_events(app, people=RACERS, per_person=1))
    assert len(invites(app)) == 10
    budget_spent = [d for d in decisions(app) if d.outcome == "skipped"]
    assert len(budget_spent) == RACERS - 10
    assert {d.reason for d in budget_spent} == {"the campaign's daily budget of 10 is spent"}


def test_fifty_processes_evaluating_one_person_at_once_make_one_invite(app: Flask, api: FlaskClient) -> None:
    """Separate processes (forked, each with its own connections) race on the same claim.

    A child whose SQLite write lock did not come within the busy timeout runs again, as the worker's
    job would (RQ's Retry): fifty processes on two busy cores can queue longer than that. Every other
    failure is reported with its message."""
    add_recipe(api, add_campaign(api), conditions=None, caps={"per_campaign_person": {"days": 1}})
    event_ids = stored_events(app, people=1, per_person=RACERS)
    assert app.extensions["journeyhub.jobs"].drain()  # no job thread holds a connection at fork()
    read_end, write_end = os.pipe()
    children = []
    for event_id in event_ids:
        pid = os.fork()
        if pid == 0:  # the child: evaluate one event, then leave without running the parent's cleanup
            outcome = "ok"
            try:
                evaluate_as_a_job_would(app, event_id)
            except BaseException as exc:  # reported to the parent, which asserts on it
                outcome = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]
            finally:
                os.write(write_end, f"{outcome}\n".encode())
                os._exit(0)
        children.append(pid)
    os.close(write_end)
    for pid in children:
        os.waitpid(pid, 0)
    with os.fdopen(read_end) as reports:
        outcomes = reports.read().splitlines()
    assert [o for o in outcomes if o != "ok"] == []
    assert len(outcomes) == RACERS
    assert len(invites(app)) == 1
    assert sorted(d.outcome for d in decisions(app)) == ["invited"] + ["skipped"] * (RACERS - 1)


def evaluate_as_a_job_would(app: Flask, event_id: int, patience_s: float = 120.0) -> None:
    deadline = time.monotonic() + patience_s
    while True:
        try:
            with app.app_context():
                evaluate(db.session, [event_id])
            return
        except OperationalError as exc:
            if "database is locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
