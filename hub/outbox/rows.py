"""Writing outbox rows inside the caller's transaction, and waking a worker once it commits.

Rows are inserted with ON CONFLICT DO NOTHING on the idempotency key, so asking twice for the
same side effect (a redone evaluation, two ticks) leaves one row.

Waking: drain jobs are queued after the commit under fixed ids (`outbox-drain-<n>`, one per
batch of a large commit, so idle workers join in), so a burst of commits queues one job while
one waits, not one per commit. A drain claims until it finds nothing due. A commit whose wake
was folded into a job that had just made its last, empty claim is picked up by the periodic
tick (every 10 s) or the next wake: the one window where a due row waits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.db import insert_ignore, utcnow
from hub.models.delivery import PENDING, Outbox
from hub.outbox.outcomes import policy
from hub.runtime.jobs import enqueue_after_commit

DRAIN = "hub.outbox.worker.drain"
"""By dotted path: the worker reaches the domains' handlers, which import this module."""
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


def wake(session: Session, rows: int = 1) -> None:
    """Queues drain jobs once `session` commits: one per batch of `rows` (up to MAX_WAKE), so a
    large commit is drained by as many workers as are idle, not by whichever took the one job."""
    wanted = min(max(1, math.ceil(rows / max(policy().batch, 1))), MAX_WAKE)
    for n in range(wanted):
        enqueue_after_commit(session, DRAIN, job_id=f"outbox-drain-{n}")
