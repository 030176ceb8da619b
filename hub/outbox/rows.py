"""Writing outbox rows inside the caller's transaction, and waking a worker once it commits.

Rows are inserted with ON CONFLICT DO NOTHING on the idempotency key, so asking twice for the
same side effect (a redone evaluation, two ticks) leaves one row.

Waking: a drain job is queued after the commit under an id naming the current second
(`outbox-drain-<second>`), so a burst of commits queues one job per second, not one per row;
that job keeps claiming until its second is over, so a row whose wake was folded into it
(committed in that second) is still picked up by it. This process remembers the second it
already woke, so the commits of a burst do not even ask the queue. The periodic tick is the
safety net for a wake that was lost (a rollback after it was asked for, a queue outage).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from hub.db import insert_ignore, utcnow
from hub.models.delivery import PENDING, Outbox
from hub.runtime.jobs import enqueue, enqueue_after_commit

DRAIN = "hub.outbox.worker.drain"
"""By dotted path: the worker reaches the domains' handlers, which import this module."""
WAKE_STATE = "journeyhub.outbox_wake"


@dataclass(frozen=True)
class NewRow:
    kind: str
    target: str
    payload: Mapping[str, Any]
    idempotency_key: str
    due_at: datetime | None = None
    """None: due now."""


def add(session: Session, rows: Iterable[NewRow]) -> None:
    """Adds the rows to the caller's transaction and wakes a worker when it commits."""
    now = utcnow()
    values = [
        {
            "kind": row.kind,
            "target": row.target[:500],
            "payload": dict(row.payload),
            "idempotency_key": row.idempotency_key,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": row.due_at or now,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    if not values:
        return
    session.execute(insert_ignore(session, Outbox), values)
    wake(session)


def wake(session: Session | None = None) -> None:
    """Queues this second's drain job, after `session` commits when one is given."""
    second = math.floor(time.time())
    state: dict[str, int] = current_app.extensions.setdefault(WAKE_STATE, {"second": 0})
    if state["second"] == second:
        return
    state["second"] = second
    job_id = f"outbox-drain-{second}"
    if session is None:
        enqueue(DRAIN, float(second + 1), job_id=job_id)
    else:
        enqueue_after_commit(session, DRAIN, float(second + 1), job_id=job_id)
