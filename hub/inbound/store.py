"""Storing journey events: idempotent, resolved to profiles, evaluated only after commit.

Every way in (tracking API, webhooks, cohort syncs) ends here, so "nothing accepted is
lost, nothing is done twice" is enforced in one place: the unique (connection, external id)
makes a redelivery a no-op, and evaluation is enqueued by an after-commit hook.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.sdk import JourneyEvent
from connectors.sdk.identity import Key
from hub.db import utcnow
from hub.inbound.bulk import insert_events
from hub.inbound.identity import Resolver, keys_for, update_traits
from hub.runtime.jobs import enqueue_after_commit

log = logging.getLogger(__name__)

EVALUATE_JOB = "recipes.evaluate.evaluate_events"
ATTEMPTS = 4


@dataclass
class Stored:
    event_ids: list[int]
    duplicates: int
    profile_ids: list[int]


def store_events(session: Session, connection_id: int, events: Sequence[JourneyEvent]) -> Stored:
    """Adds the events to the session's transaction; the caller commits (or rolls back).

    The events are resolved to profiles first and then inserted in one INSERT … ON CONFLICT
    DO NOTHING RETURNING, so a redelivery costs no separate duplicate check: its keys are
    known already (resolving it changes nothing) and its row is skipped by the unique
    (connection, external id). Traits and evaluation follow only the rows really inserted.
    """
    keyed: dict[str, tuple[JourneyEvent, list[Key]]] = {}
    for event in events:
        keyed.setdefault(event.external_id, (event, keys_for(event.identities)))
    batch = list(keyed.values())
    if not batch:
        return Stored([], 0, [])
    resolver = Resolver(session)
    profile_ids = resolver.resolve_batch([keys for _, keys in batch], [event.traits for event, _ in batch])
    now = utcnow()
    rows = [
        {
            "connection_id": connection_id,
            "external_id": event.external_id,
            "name": event.name,
            "profile_id": profile_id,
            "properties": dict(event.properties),
            "occurred_at": event.occurred_at,
            "received_at": now,
        }
        for (event, _), profile_id in zip(batch, profile_ids, strict=True)
    ]
    stored_rows = insert_events(session.connection(), rows)
    inserted = {external_id: (event_id, profile_id) for event_id, profile_id, external_id in stored_rows}
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
    return Stored(event_ids, len(events) - len(inserted), sorted({p for _, p in inserted.values()}))


def commit_events(session: Session, connection_id: int, events: Sequence[JourneyEvent]) -> Stored:
    """store_events + commit, retried when a concurrent writer made the transaction fail.

    Races (two first events for one person, merges crossing each other, SQLite's writer
    lock) surface as integrity or operational errors; the whole batch is simply redone.
    """
    attempt = 1
    while True:
        try:
            _begin_writing(session)
            stored = store_events(session, connection_id, events)
            session.commit()
            return stored
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if attempt == ATTEMPTS:
                raise
            log.info("ingest retry %d after %s", attempt, type(exc.orig).__name__)
            attempt += 1


def _begin_writing(session: Session) -> None:
    """On SQLite, take the write lock before the first read (BEGIN IMMEDIATE).

    pysqlite reads outside any transaction until the first write, so two ingests could both
    see the same two profiles and both merge them, the later one writing traits it read
    before the earlier committed. PostgreSQL needs nothing: its row locks order the writers.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
