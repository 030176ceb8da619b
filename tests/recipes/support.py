"""Storing events the way every door does, then waiting for the engine that runs after commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from connectors.sdk import JourneyEvent
from hub.db import db, utcnow
from hub.inbound.store import commit_events
from hub.models import Connection, Decision, Event, Invite, Profile


def source(app: Flask) -> int:
    with app.app_context():
        connection = Connection(
            connector="generic", name=f"events-{uuid.uuid4().hex[:6]}", config_encrypted=""
        )
        db.session.add(connection)
        db.session.commit()
        return connection.id


def journey_event(
    name: str, user: str, properties: dict[str, Any] | None = None, **traits: Any
) -> JourneyEvent:
    return JourneyEvent(
        external_id=uuid.uuid4().hex,
        name=name,
        identities={"user_id": user},
        occurred_at=datetime.now(UTC),
        properties=properties or {},
        traits=traits,
    )


def store(app: Flask, connection_id: int, *events: JourneyEvent) -> list[int]:
    """Commits the events (which enqueues their evaluation) and waits until it has run."""
    with app.app_context():
        stored = commit_events(db.session, connection_id, list(events))
    assert app.extensions["journeyhub.jobs"].drain(timeout=60)
    return stored.event_ids


def decisions(app: Flask) -> list[Decision]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Decision).order_by(Decision.id)))


def invites(app: Flask) -> list[Invite]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Invite).order_by(Invite.id)))


def person(app: Flask, **traits: Any) -> int:
    with app.app_context():
        profile = Profile(traits=traits)
        db.session.add(profile)
        db.session.commit()
        return profile.id


def put_event(app: Flask, connection_id: int, profile_id: int, name: str, occurred_at: datetime) -> int:
    """A row written directly, so no evaluation is enqueued: the test decides when it runs."""
    with app.app_context():
        event = Event(
            connection_id=connection_id,
            external_id=uuid.uuid4().hex,
            name=name,
            profile_id=profile_id,
            properties={},
            occurred_at=occurred_at,
        )
        db.session.add(event)
        db.session.commit()
        return event.id


def cohort_event(app: Flask, connection_id: int, profile_id: int, cohort_id: int) -> int:
    """A cohort_entered event written directly, as a cohort sync stores it; nothing is enqueued."""
    with app.app_context():
        event = Event(
            connection_id=connection_id,
            external_id=uuid.uuid4().hex,
            name="cohort_entered",
            profile_id=profile_id,
            properties={"cohort_id": cohort_id},
            occurred_at=utcnow(),
        )
        db.session.add(event)
        db.session.commit()
        return event.id
