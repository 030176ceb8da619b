"""Storing journey events: idempotent, resolved to profiles, evaluated only after commit.

Every way in (tracking API, webhooks, cohort syncs) ends here, so "nothing accepted is
lost, nothing is done twice" is enforced in one place: the unique (connection, external id)
makes a redelivery a no-op, and evaluation is enqueued by an after-commit hook.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.sdk import JourneyEvent
from connectors.sdk.identity import Key
from hub.db import utcnow
from hub.inbound.bulk import insert_events, insert_known, single_owner
from hub.inbound.combine import Combiner, Delivery
from hub.inbound.identity import Resolver, keys_for, update_traits
from hub.runtime.jobs import enqueue_after_commit, holding_jobs

log = logging.getLogger(__name__)

EVALUATE_JOB = "recipes.evaluate.evaluate_events"
ATTEMPTS = 4
MAX_GROUP_EVENTS = 1000


@dataclass
class Stored:
    event_ids: list[int]
    duplicates: int
    profile_ids: list[int]


def store_events(session: Session, connection_id: int, events: Sequence[JourneyEvent]) -> Stored:
    """Adds the events to the session's transaction; the caller commits (or rolls back)."""
    inserted = _store(session, connection_id, events)
    return _figures(events, inserted, set())


def _store(
    session: Session, connection_id: int, events: Sequence[JourneyEvent]
) -> dict[str, tuple[int, int]]:
    """The events' external ids newly stored, with their (event id, profile id).

    Events from people already known (every key held by one profile) are inserted together
    with the lookup of all keys (`insert_known`); the others are resolved to profiles and then
    inserted. Both inserts are INSERT … ON CONFLICT DO NOTHING RETURNING, so a redelivery costs
    no separate duplicate check: its row is skipped by the unique (connection, external id).
    Traits and evaluation follow only the rows really inserted.
    """
    keyed: dict[str, tuple[JourneyEvent, list[Key]]] = {}
    for event in events:
        keyed.setdefault(event.external_id, (event, keys_for(event.identities, connection_id)))
    batch = list(keyed.values())
    if not batch:
        return {}
    now = utcnow()
    connection = session.connection()
    owner, stored_rows = insert_known(
        connection, [_row(connection_id, event, now) for event, _ in batch], [keys for _, keys in batch]
    )
    resolver = Resolver(session, owner, looked_up=[key for _, keys in batch for key in keys])
    rest = [(event, keys) for event, keys in batch if single_owner(keys, owner) is None]
    if rest:
        profile_ids = resolver.resolve_batch([keys for _, keys in rest], [event.traits for event, _ in rest])
        rows = [
            {**_row(connection_id, event, now), "profile_id": profile_id}
            for (event, _), profile_id in zip(rest, profile_ids, strict=True)
        ]
        stored_rows += insert_events(connection, rows)
    # a merge made for a later event may have moved an earlier one's profile
    inserted = {external_id: (event_id, resolver.current(p)) for event_id, p, external_id in stored_rows}
    traits: dict[int, dict[str, Any]] = {}
    for event, _ in batch:
        stored = inserted.get(event.external_id)
        if stored and stored[1] not in resolver.created:
            # None means "not known to this source": it must not erase an earlier event's value
            known = {k: v for k, v in event.traits.items() if v is not None}
            traits.setdefault(stored[1], {}).update(known)
    update_traits(session, traits)
    event_ids = sorted(event_id for event_id, _ in inserted.values())
    if event_ids:
        enqueue_after_commit(session, EVALUATE_JOB, event_ids)
    return inserted


def _row(connection_id: int, event: JourneyEvent, now: datetime) -> dict[str, Any]:
    return {
        "connection_id": connection_id,
        "external_id": event.external_id,
        "name": event.name,
        "properties": dict(event.properties),
        "occurred_at": event.occurred_at,
        "received_at": now,
    }


def _figures(events: Sequence[JourneyEvent], inserted: dict[str, tuple[int, int]], taken: set[str]) -> Stored:
    """What one delivery stored: of its external ids, those inserted and not `taken` by an
    earlier delivery in the same transaction (which are added to `taken`)."""
    mine: dict[str, tuple[int, int]] = {}
    for event in events:
        if event.external_id in inserted and event.external_id not in taken:
            taken.add(event.external_id)
            mine[event.external_id] = inserted[event.external_id]
    event_ids = sorted(event_id for event_id, _ in mine.values())
    return Stored(event_ids, len(events) - len(mine), sorted({p for _, p in mine.values()}))


def commit_events(session: Session, connection_id: int, events: Sequence[JourneyEvent]) -> Stored:
    """store_events + commit; returns once the events are committed (see hub/inbound/combine.py:
    deliveries arriving together in this process share one transaction)."""
    return combiner(session).submit(session, Delivery(connection_id, list(events)))


def _commit_group(session: Session, group: list[Delivery[Stored]]) -> Callable[[], None]:
    """Commits the group; answers the sending of its evaluation jobs, which the combiner does
    once the next group is under way."""
    with holding_jobs(session) as held:
        _commit_alone_if_need_be(session, group)
    return held.send


def _commit_alone_if_need_be(session: Session, group: list[Delivery[Stored]]) -> None:
    """Commits the group in one transaction; if that fails, each delivery on its own, so
    one bad delivery fails alone and the rest are stored."""
    try:
        results = _commit(session, group)
    except Exception as exc:
        if len(group) == 1:
            group[0].error = exc
            return
        log.info("ingest of %d deliveries together failed (%s); storing them one by one", len(group), exc)
        for delivery in group:
            _commit_alone_if_need_be(session, [delivery])
        return
    for delivery, result in zip(group, results, strict=True):
        delivery.result = result


def _commit(session: Session, group: list[Delivery[Stored]]) -> list[Stored]:
    """Retried when a concurrent writer made the transaction fail.

    Races (two first events for one person, merges crossing each other, SQLite's writer
    lock) surface as integrity or operational errors; the whole group is simply redone.
    """
    events: dict[int, list[JourneyEvent]] = {}
    for delivery in group:
        events.setdefault(delivery.connection_id, []).extend(delivery.events)
    attempt = 1
    while True:
        try:
            _begin_writing(session)
            inserted = {cid: _store(session, cid, batch) for cid, batch in events.items()}
            session.commit()
            break
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if attempt == ATTEMPTS:
                raise
            log.info("ingest retry %d after %s", attempt, type(exc.orig).__name__)
            attempt += 1
        except Exception:
            session.rollback()
            raise
    taken: dict[int, set[str]] = {cid: set() for cid in events}
    return [_figures(d.events, inserted[d.connection_id], taken[d.connection_id]) for d in group]


def combiner(session: Session) -> Combiner[Stored]:
    """One per database: deliveries for different databases (tests) never share a transaction."""
    engine = session.get_bind()
    with _COMBINERS_LOCK:
        combiner = _COMBINERS.get(engine)
        if combiner is None:
            combiner = _COMBINERS[engine] = Combiner(_commit_group, MAX_GROUP_EVENTS)
    return combiner


_COMBINERS: weakref.WeakKeyDictionary[Any, Combiner[Stored]] = weakref.WeakKeyDictionary()
_COMBINERS_LOCK = threading.Lock()


def _begin_writing(session: Session) -> None:
    """On SQLite, take the write lock before the first read (BEGIN IMMEDIATE).

    pysqlite reads outside any transaction until the first write, so two ingests could both
    see the same two profiles and both merge them, the later one writing traits it read
    before the earlier committed. PostgreSQL needs nothing: its row locks order the writers.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
