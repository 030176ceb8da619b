"""The snapshot jobs: a periodic tick that enqueues each due journey, and the snapshot itself."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from hub.db import db, utcnow
from hub.models import Journey
from hub.runtime.jobs import enqueue, job
from recipes.journeys.schema import JourneyIn
from recipes.journeys.snapshots import claim, take

log = logging.getLogger(__name__)
TICK_S = 300
"""How often due snapshots are looked for; each journey says how often it is due (daily by default)."""
BATCH = 100


@job
def snapshot_due_journeys() -> int:
    """Enqueues a snapshot of each journey whose time has come; answers how many."""
    ids = list(
        db.session.scalars(
            sa.select(Journey.id)
            .where(sa.or_(Journey.next_snapshot_at.is_(None), Journey.next_snapshot_at <= utcnow()))
            .order_by(Journey.id)
            .limit(BATCH)
        )
    )
    db.session.rollback()
    for journey_id in ids:
        enqueue("recipes.journeys.jobs.snapshot_journey", journey_id, job_id=f"journey-snapshot-{journey_id}")
    return len(ids)


@job
def snapshot_journey(journey_id: int) -> int:
    """Takes the journey's snapshot if it is still due (another worker may have); answers the changes told."""
    now = utcnow()
    journey = db.session.get(Journey, journey_id)
    if journey is None:
        return 0
    every = JourneyIn.model_validate(journey.definition).snapshot_every_hours
    if not claim(db.session, journey_id, now, every):
        db.session.rollback()
        return 0
    _snapshot, changes = take(db.session, journey, now)
    db.session.commit()
    if changes:
        log.info("journey %d: %d stage rates moved", journey_id, len(changes))
    return len(changes)
