"""Marking what became of a batch: the rows, one run step per attempt, and the domain's side, in one commit.

Each attempt is a run step named after its row (`outbox:12`) with what was sent where, the
provider's receipt or the error, and when the row is due again, so a person can read a
row's history from /api/v1/outbox/<id> or the run. A row is only marked while this worker
still holds it (`claimed_by`); one whose lease ran out and was taken over is left to its
new worker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Run, RunStep
from hub.models.delivery import PENDING, Outbox
from hub.outbox.outcomes import Transition
from hub.outbox.types import Refused, Sent, Settled

RUN_KIND = "outbox"
_ROWS = cast(sa.Table, Outbox.__table__)
_MARK = (
    sa.update(_ROWS)
    .where(_ROWS.c.id == sa.bindparam("row_id"), _ROWS.c.claimed_by == sa.bindparam("claimant"))
    .values(
        status=sa.bindparam("new_status"),
        next_attempt_at=sa.bindparam("due"),
        last_error=sa.bindparam("error"),
        result=sa.bindparam("receipt"),
        sent_at=sa.bindparam("sent"),
        claimed_by=None,
        claimed_until=None,
        updated_at=sa.bindparam("now"),
    )
)


@dataclass(frozen=True)
class Marked:
    settled: Settled
    transition: Transition


def mark(session: Session, claimant: str, marked: Sequence[Marked], started: datetime, now: datetime) -> Run:
    """Writes the rows' new states and a run with one step per attempt; the caller commits."""
    session.connection().execute(_MARK, [_row(claimant, m, now) for m in marked])
    tally = Counter(m.transition.status for m in marked)
    kinds = Counter(m.settled.item.kind for m in marked)
    run = Run(
        kind=RUN_KIND,
        subject=f"outbox:{marked[0].settled.item.id}-{marked[-1].settled.item.id}",
        status="succeeded",
        started_at=started,
        finished_at=now,
        duration_ms=round((now - started).total_seconds() * 1000),
        stats={"rows": len(marked), "statuses": dict(tally), "kinds": dict(kinds), "claimant": claimant},
    )
    session.add(run)
    session.flush()
    session.execute(sa.insert(RunStep), [_step(run.id, m, started, now) for m in marked])
    return run


def _row(claimant: str, marked: Marked, now: datetime) -> dict[str, Any]:
    outcome = marked.settled.outcome
    sent = isinstance(outcome, Sent)
    return {
        "row_id": marked.settled.item.id,
        "claimant": claimant,
        "new_status": marked.transition.status,
        "due": marked.transition.next_attempt_at,
        "error": None if isinstance(outcome, Sent) else outcome.error,
        "receipt": dict(outcome.result) if isinstance(outcome, Sent) else None,
        "sent": now if sent else None,
        "now": now,
    }


def _step(run_id: int, marked: Marked, started: datetime, now: datetime) -> dict[str, Any]:
    item, outcome, transition = marked.settled.item, marked.settled.outcome, marked.transition
    detail: dict[str, Any] = {
        "outbox_id": item.id,
        "kind": item.kind,
        "target": item.target,
        "idempotency_key": item.idempotency_key,
        "attempt": item.attempt,
        "outcome": _words(marked),
    }
    if isinstance(outcome, Sent):
        detail["result"] = dict(outcome.result)
    if transition.next_attempt_at is not None:
        detail["next_attempt_at"] = transition.next_attempt_at.isoformat()
    return {
        "run_id": run_id,
        "name": f"outbox:{item.id}",
        "status": "retry" if transition.status == PENDING else transition.status,
        "started_at": started,
        "duration_ms": round((now - started).total_seconds() * 1000),
        "detail": detail,
        "error": None if isinstance(outcome, Sent) else outcome.error,
    }


def _words(marked: Marked) -> str:
    outcome, due = marked.settled.outcome, marked.transition.next_attempt_at
    attempt = marked.settled.item.attempt
    if isinstance(outcome, Sent):
        return outcome.summary
    if isinstance(outcome, Refused):
        return f"refused ({outcome.code}); not retried: a person has to act, then replay it"
    if due is None:
        return f"gave up after attempt {attempt}; dead until replayed"
    why = "rate limited" if outcome.rate_limited else "failed"
    return f"{why} on attempt {attempt}; trying again at {due:%Y-%m-%d %H:%M:%S} UTC"
