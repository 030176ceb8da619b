"""The safety net under "evaluated exactly once": events stored but never evaluated.

The hub enqueues evaluation after commit; if the process dies between the two, or a job is
lost, the event has no row in the `evaluated_events` ledger. The sweep finds such events a
minute after they arrived and evaluates them; the ledger and the unique decisions and
invites make a sweep that races the regular job harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import EvaluatedEvent, Event
from recipes.engine.engine import Tally, evaluate

GRACE = timedelta(minutes=1)
BATCH = 1000
MAX_BATCHES = 20


def sweep_unevaluated(session: Session, now: datetime | None = None) -> Tally:
    now = now or utcnow()
    total = Tally()
    for _ in range(MAX_BATCHES):
        ids = list(
            session.scalars(
                sa.select(Event.id)
                .where(
                    Event.received_at <= now - GRACE,
                    ~sa.exists().where(EvaluatedEvent.event_id == Event.id),
                )
                .order_by(Event.id)
                .limit(BATCH)
            )
        )
        if not ids:
            break
        tally = evaluate(session, ids, now)
        total.events += tally.events
        total.decisions += tally.decisions
        total.invites += tally.invites
    return total
