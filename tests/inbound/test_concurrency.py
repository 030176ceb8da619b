"""Concurrent first events for the same new person make one profile, over real HTTP.

Races only show when requests really overlap, so these tests use werkzeug's threaded
server on loopback, a barrier to release the requests together, and both databases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from hub.db import db
from hub.models import Event, Identity, ProfileMerge
from tests.inbound.support import counts, served

THREADS = 8
PEOPLE = 4


def together(count: int, send: Callable[[int], requests.Response]) -> list[requests.Response]:
    """Runs send(0..count-1) in threads released at the same moment; returns the responses in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = send(index)
        except Exception as exc:  # reported by the assertion below, with the thread's error
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def owners(app: Flask) -> dict[str, set[int]]:
    """Per user id, the profiles its events and identities point at."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Identity.value, Identity.profile_id).where(Identity.kind == "user_id")
        ).all()
        return {value: {profile_id} for value, profile_id in rows}


def test_eight_simultaneous_first_events_per_person_make_one_profile(app: Flask, write_key: str) -> None:
    with served(app) as base_url, requests.Session() as http:
        for person in range(PEOPLE):

            def send(thread: int, person: int = person) -> requests.Response:
                body = {
                    "userId": f"person-{person}",
                    "anonymousId": f"device-{person}-{thread}",
                    "event": "First Visit",
                    "messageId": f"m-{person}-{thread}",
                    "context": {"traits": {"email": f"p{person}@example.com"} if thread % 2 else {}},
                }
                return http.post(f"{base_url}/v1/track", json=body, auth=(write_key, ""), timeout=60)

            responses = together(THREADS, send)
            assert [getattr(r, "status_code", r) for r in responses] == [200] * THREADS
            assert sum(r.json()["accepted"] for r in responses) == THREADS
    assert counts(app) == {
        "events": PEOPLE * THREADS,
        "profiles": PEOPLE,
        "identities": PEOPLE * (THREADS + 2),
    }
    with app.app_context():
        for person in range(PEOPLE):
            keys = db.session.execute(
                sa.select(Identity.kind, Identity.profile_id).where(
                    Identity.profile_id
                    == sa.select(Identity.profile_id)
                    .where(Identity.value == f"person-{person}")
                    .scalar_subquery()
                )
            ).all()
            assert len(keys) == THREADS + 2
            events = db.session.scalars(
                sa.select(Event.profile_id).where(Event.external_id.like(f"m-{person}-%"))
            ).all()
            assert len(events) == THREADS and len(set(events)) == 1


def test_simultaneous_identifies_merge_two_profiles_once(app: Flask, write_key: str) -> None:
    with served(app) as base_url, requests.Session() as http:
        for person in range(PEOPLE):
            for key, value in (("anonymousId", f"anon-{person}"), ("userId", f"user-{person}")):
                first = http.post(
                    f"{base_url}/v1/track",
                    json={key: value, "event": "Seen"},
                    auth=(write_key, ""),
                    timeout=60,
                )
                assert first.status_code == 200

            def send(thread: int, person: int = person) -> requests.Response:
                body = {
                    "userId": f"user-{person}",
                    "anonymousId": f"anon-{person}",
                    "traits": {"plan": f"plan-{thread}"},
                    "messageId": f"identify-{person}-{thread}",
                }
                return http.post(f"{base_url}/v1/identify", json=body, auth=(write_key, ""), timeout=60)

            responses = together(THREADS, send)
            assert [getattr(r, "status_code", r) for r in responses] == [200] * THREADS
    assert counts(app) == {"events": PEOPLE * (THREADS + 2), "profiles": PEOPLE, "identities": PEOPLE * 2}
    with app.app_context():
        merges = db.session.scalars(sa.select(ProfileMerge)).all()
        assert len(merges) == PEOPLE
        assert len(set(db.session.scalars(sa.select(Event.profile_id)))) == PEOPLE
