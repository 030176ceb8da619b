"""Writing outbox rows inside the caller's transaction, and waking a worker once it commits.

Rows are inserted with ON CONFLICT DO NOTHING on the idempotency key, so asking twice for the
same side effect (a redone evaluation, two ticks) leaves one row.

Waking: drain jobs are queued after the commit under ids naming the current second
(`outbox-drain-<second>-<n>`), so a burst of commits queues one job per second, not one per
row (a commit of many rows queues one per batch, so idle workers join in); each job keeps
claiming until its second is over, so a row whose wake was folded into it (committed in that
second) is still picked up. This process remembers what it already woke this second, so the
commits of a burst do not even ask the queue. The periodic tick is the safety net for a wake
that was lost (a rollback after it was asked for, a queue outage).
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
from hub.outbox.outcomes import policy
from hub.runtime.jobs import enqueue, enqueue_after_commit

DRAIN = "hub.outbox.worker.drain"
"""By dotted path: the worker reaches the domains' handlers, which import this module."""
WAKE_STATE = "journeyhub.outbox_wake"
MAX_WAKE = 8


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
    wake(session, len(values))


def wake(session: Session | None = None, rows: int = 1) -> None:
    """Queues this second's drain jobs, after `session` commits when one is given.

    One job per batch of `rows` (up to MAX_WAKE), so that a large commit is drained by as
    many workers as are idle, not by whichever took the one job.
    """
    second = math.floor(time.time())
    wanted = min(max(1, math.ceil(rows / max(policy().batch, 1))), MAX_WAKE)
    state: dict[str, int] = current_app.extensions.setdefault(WAKE_STATE, {"second": 0, "jobs": 0})
    if state["second"] != second:
        state["second"], state["jobs"] = second, 0
    for n in range(state["jobs"], wanted):
        job_id = f"outbox-drain-{second}-{n}"
        if session is None:
            enqueue(DRAIN, float(second + 1), job_id=job_id)
        else:
            enqueue_after_commit(session, DRAIN, float(second + 1), job_id=job_id)
    state["jobs"] = max(state["jobs"], wanted)
