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

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.sdk import JourneyEvent
from connectors.sdk.identity import Key
from hub.db import insert_ignore, utcnow
from hub.inbound.identity import Resolver, keys_for, update_traits
from hub.models import Event
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
    """Adds the events to the session's transaction; the caller commits (or rolls back)."""
    keyed: dict[str, tuple[JourneyEvent, list[Key]]] = {}
    for event in events:
        keyed.setdefault(event.external_id, (event, keys_for(event.identities)))
    duplicates = len(events) - len(keyed)
    known = _already_stored(session, connection_id, list(keyed))
    duplicates += len(known)
    fresh = [(e, keys) for ext, (e, keys) in keyed.items() if ext not in known]
    if not fresh:
        return Stored([], duplicates, [])

    resolver = Resolver(session)
    profile_ids = resolver.resolve_batch([keys for _, keys in fresh], [event.traits for event, _ in fresh])
    traits: dict[int, dict[str, Any]] = {}
    rows = []
    now = utcnow()
    for (event, _), profile_id in zip(fresh, profile_ids, strict=True):
        if profile_id not in resolver.created:
            # None means "not known to this source": it must not erase an earlier event's value
            traits.setdefault(profile_id, {}).update({k: v for k, v in event.traits.items() if v is not None})
        rows.append(
            {
                "connection_id": connection_id,
                "external_id": event.external_id,
                "name": event.name,
                "profile_id": profile_id,
                "properties": dict(event.properties),
                "occurred_at": event.occurred_at,
                "received_at": now,
            }
        )
    inserted = session.execute(
        insert_ignore(session, Event).values(rows).returning(Event.id, Event.profile_id)
    ).all()
    duplicates += len(rows) - len(inserted)
    for profile_id, values in sorted(traits.items()):
        update_traits(session, profile_id, values)
    event_ids = sorted(row[0] for row in inserted)
    if event_ids:
        enqueue_after_commit(session, EVALUATE_JOB, event_ids)
    return Stored(event_ids, duplicates, sorted({row[1] for row in inserted}))


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


def _already_stored(session: Session, connection_id: int, external_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        found.update(
            session.scalars(
                sa.select(Event.external_id).where(
                    Event.connection_id == connection_id, Event.external_id.in_(chunk)
                )
            )
        )
    return found
