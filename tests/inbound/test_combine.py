"""Group commit: deliveries that arrive while another commits are stored together, each answered alone.

To make the overlap certain, another connection holds the write lock, so the first delivery
waits inside its transaction while the others queue up behind it; then the lock is let go.
Events committed in one transaction share their `received_at`, which shows how they were grouped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from connectors.sdk import JourneyEvent
from hub.db import db
from hub.inbound.store import Stored, combiner, commit_events
from hub.models import Event
from tests.inbound.support import add_connection


def event(external_id: str, user: str, **identities: str) -> JourneyEvent:
    return JourneyEvent(
        external_id=external_id,
        name="Seen",
        identities=identities or {"user_id": user},
        occurred_at=datetime.now(UTC),
    )


@contextmanager
def writes_held(app: Flask) -> Iterator[None]:
    """Another connection holds the lock every ingest needs, until the block ends."""
    with app.app_context():
        engine = db.engine
    with engine.connect() as holder:
        if engine.dialect.name == "sqlite":
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.exec_driver_sql("LOCK TABLE events IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            holder.rollback()


def deliver_together(
    app: Flask, connection_id: int, first: list[JourneyEvent], rest: list[list[JourneyEvent]]
) -> list[Any]:
    """Sends `first`, then, while it waits for the lock, every delivery of `rest`; their outcomes in order."""
    outcomes: list[Any] = [None] * (1 + len(rest))

    def send(index: int, events: list[JourneyEvent]) -> None:
        with app.app_context():
            try:
                outcomes[index] = commit_events(db.session, connection_id, events)
            except Exception as exc:  # the assertions name it
                outcomes[index] = exc

    with app.app_context():
        queue = combiner(db.session)
    threads = [threading.Thread(target=send, args=(0, first))]
    with writes_held(app):
        threads[0].start()
        time.sleep(0.3)  # the first delivery is inside its transaction now, waiting for the lock
        for index, events in enumerate(rest, start=1):
            threads.append(threading.Thread(target=send, args=(index, events)))
            threads[-1].start()
        deadline = time.monotonic() + 10
        while queue.waiting < len(rest) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert queue.waiting == len(rest)
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def received(app: Flask, external_ids: list[str]) -> dict[str, datetime]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Event.external_id, Event.received_at).where(Event.external_id.in_(external_ids))
        )
        return {external_id: at for external_id, at in rows}


def test_deliveries_queued_behind_a_commit_share_the_next_transaction(app: Flask) -> None:
    connection_id, _ = add_connection(app, "tracking", "web")
    rest = [[event(f"e-{i}", f"u-{i}")] for i in range(5)] + [[event("e-a", "u-a"), event("e-b", "u-b")]]
    outcomes = deliver_together(app, connection_id, [event("e-first", "u-first")], rest)
    assert all(isinstance(o, Stored) for o in outcomes), outcomes
    assert [len(o.event_ids) for o in outcomes] == [1, 1, 1, 1, 1, 1, 2]
    assert [o.duplicates for o in outcomes] == [0] * 7
    assert len({i for o in outcomes for i in o.event_ids}) == 8
    times = received(app, ["e-first", *(f"e-{i}" for i in range(5)), "e-a", "e-b"])
    assert len(times) == 8
    assert (
        len({at for key, at in times.items() if key != "e-first"}) == 1
    )  # one transaction for the queued ones
    assert times["e-first"] != times["e-0"]


def test_the_same_event_in_two_queued_deliveries_is_stored_once(app: Flask) -> None:
    connection_id, _ = add_connection(app, "tracking", "web")
    twice = event("e-twice", "u-1")
    outcomes = deliver_together(
        app, connection_id, [event("e-first", "u-0")], [[twice], [twice, event("e-2", "u-2")]]
    )
    assert all(isinstance(o, Stored) for o in outcomes), outcomes
    assert [(len(o.event_ids), o.duplicates) for o in outcomes] == [(1, 0), (1, 0), (1, 1)]
    assert set(received(app, ["e-twice", "e-2"])) == {"e-twice", "e-2"}


def test_a_bad_delivery_in_a_group_fails_alone(app: Flask) -> None:
    connection_id, _ = add_connection(app, "tracking", "web")
    bad = JourneyEvent(
        external_id="e-bad", name="Seen", identities={"no_such_kind": "x"}, occurred_at=datetime.now(UTC)
    )
    rest = [[event("e-1", "u-1")], [bad], [event("e-3", "u-3")]]
    outcomes = deliver_together(app, connection_id, [event("e-first", "u-0")], rest)
    assert isinstance(outcomes[2], ValueError) and "no_such_kind" in str(outcomes[2])
    assert [len(o.event_ids) for i, o in enumerate(outcomes) if i != 2] == [1, 1, 1]
    assert set(received(app, ["e-first", "e-1", "e-bad", "e-3"])) == {"e-first", "e-1", "e-3"}
