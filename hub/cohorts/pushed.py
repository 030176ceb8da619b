"""Cohorts a provider pushes (Mixpanel's cohort sync, Amplitude's cohort webhooks).

A delivery is stored as one row and answered as soon as that commits, so the provider hears
back within its timeout whatever a page holds. A job enqueued after the commit applies it, one
transaction per snapshot or batch so nothing is ever half-applied: a snapshot is diffed like a
pull (staged, then `remove_exits` / `add_entries`) once every page of its session arrived;
increments enter or leave only the members they name. The job holds the cohort's lease, so a
push never interleaves with a pull of the same cohort; while a pull holds it, the job waits.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.sdk import CohortPush, Member, Parsed, PushKind
from hub.cohorts import lease, staging
from hub.cohorts.applying import Unit, leave, next_unit, target_of
from hub.cohorts.diff import Target, add_entries, remove_exits
from hub.db import db, insert_ignore, utcnow
from hub.models import Cohort, CohortMember, Run
from hub.models.pushes import APPLIED, PENDING, SUPERSEDED, PushDelivery
from hub.runtime import jobs

log = logging.getLogger(__name__)
APPLY_JOB = "hub.cohorts.pushed.apply_pushes"
RUN_KIND = "cohort_push"
ATTEMPTS = 4
STAGE_CHUNK = 1000
"""Members staged per call, as a pull pages them: a pushed page may be far larger."""
SWEEP_AFTER_S = 60
WAITS_S = (2, 5, 15, 30, 60, 120, 300)
"""How long a job waits for a pull that holds the cohort, growing with each look."""


def receive_push(connection_id: int, parsed: Parsed) -> dict[str, Any]:
    """Stores the delivery (a redelivery stores nothing) and queues its application after commit."""
    push = parsed.cohort_push
    assert push is not None  # noqa: S101 - the caller routes only pushes here
    session = db.session
    cohort_id = _cohort_id(session, connection_id, push)
    members = [_stored(m) for m in push.members]
    stored = session.execute(
        insert_ignore(session, PushDelivery)
        .values(
            connection_id=connection_id,
            cohort_id=cohort_id,
            delivery_key=push.delivery_key,
            kind=push.kind.value,
            session=push.session,
            page=push.page,
            pages=push.pages,
            members=members,
            occurred_at=push.occurred_at,
            status=PENDING,
            received_at=utcnow(),
        )
        .returning(PushDelivery.id)
    ).first()
    if stored is not None:
        jobs.enqueue_after_commit(session, APPLY_JOB, cohort_id)
    session.commit()
    return {
        "cohort_id": cohort_id,
        "kind": push.kind.value,
        "page": push.page,
        "pages": push.pages,
        "members": len(members),
        "duplicate": stored is None,
        "rejected": [asdict(r) for r in parsed.rejected],
    }


def _cohort_id(session: Session, connection_id: int, push: CohortPush) -> int:
    """The cohort of (connection, source ref), created on the first push; never due for a pull."""
    session.execute(
        insert_ignore(session, Cohort).values(
            connection_id=connection_id,
            source_ref=push.source_ref,
            name=push.name[:200],
            next_sync_at=None,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    cohort_id = session.scalar(
        sa.select(Cohort.id).where(
            Cohort.connection_id == connection_id, Cohort.source_ref == push.source_ref
        )
    )
    assert cohort_id is not None  # noqa: S101 - inserted or found just above
    return cohort_id


def _stored(member: Member) -> dict[str, Any]:
    """As staging takes it back (it drops the empty identities then); a page may hold thousands,
    so the receiver's own dicts are kept rather than copied."""
    identities, traits = member.identities, member.traits
    return {
        "ref": member.ref,
        "identities": identities if type(identities) is dict else dict(identities),
        "traits": traits if type(traits) is dict else dict(traits),
    }


@jobs.job
def enqueue_pending_pushes() -> list[int]:
    """The periodic safety net: cohorts whose deliveries waited past a tick get a job again (one
    was lost with a restart, or Redis was away at commit); a unique id per cohort keeps ticks
    from piling jobs up behind a long pull."""
    waited = utcnow() - timedelta(seconds=SWEEP_AFTER_S)
    cohort_ids = list(
        db.session.scalars(
            sa.select(PushDelivery.cohort_id)
            .where(PushDelivery.status == PENDING, PushDelivery.received_at < waited)
            .group_by(PushDelivery.cohort_id)
        )
    )
    for cohort_id in cohort_ids:
        jobs.enqueue(APPLY_JOB, cohort_id, job_id=f"cohort-push-{cohort_id}")
    return cohort_ids


@jobs.job
def apply_pushes(cohort_id: int, looks: int = 0) -> dict[str, Any]:
    """Applies the cohort's pending deliveries in the order they arrived, each unit on its own.

    Several of these may run for one cohort; the lease lets one apply at a time and the others
    find nothing left. While a pull holds the lease, the job looks again later.
    """
    applied = 0
    with Session(db.engine, expire_on_commit=False) as session:
        while (unit := next_unit(session, cohort_id)) is not None:
            if not _apply(session, unit):
                wait = WAITS_S[min(looks, len(WAITS_S) - 1)]
                jobs.enqueue(APPLY_JOB, cohort_id, looks + 1, at=utcnow() + timedelta(seconds=wait))
                log.info("cohort %s is syncing; its pushes wait %s s", cohort_id, wait)
                return {"applied": applied, "waiting_s": wait}
            applied += 1
    return {"applied": applied}


def _apply(session: Session, unit: Unit) -> bool:
    """False while another sync holds the cohort; a concurrent identity claim redoes the unit."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            now = utcnow()
            token = lease.claim(session, unit.cohort_id, now)  # a write first: SQLite's lock, PG's row lock
            if token is None:
                session.rollback()
                return False
            if _still_pending(session, unit):
                _apply_held(session, unit, now)
            lease.release(session, unit.cohort_id, token)
            session.commit()
            return True
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if attempt == ATTEMPTS:
                raise
            log.info("cohort %s push retry %d after %s", unit.cohort_id, attempt, type(exc.orig).__name__)
    raise AssertionError("unreachable")


def _still_pending(session: Session, unit: Unit) -> bool:
    """Another job may have applied the unit between finding it and taking the lease."""
    pending = session.scalar(
        sa.select(sa.func.count()).where(PushDelivery.id.in_(unit.ids), PushDelivery.status == PENDING)
    )
    return pending == len(unit.ids)


def _apply_held(session: Session, unit: Unit, now: datetime) -> None:
    target = target_of(session, unit.cohort_id)
    run = Run(kind=RUN_KIND, subject=f"cohort:{unit.cohort_id}", status="running", started_at=now)
    session.add(run)
    session.flush()
    run_id = run.id
    figures: dict[str, Any] = {"kind": unit.kind, "deliveries": len(unit.ids), "session": unit.session}
    figures |= _stage(session, target, run_id, unit)
    when = unit.occurred_at or now  # increments happened when the provider computed them
    if unit.kind == PushKind.REMOVED:
        figures["exited"] = leave(session, target, run_id, when)
    else:
        if unit.kind == PushKind.SNAPSHOT:
            figures["exited"] = remove_exits(session, target, run_id, now)
        figures["entered"] = add_entries(session, target, run_id, when)
    staging.clear(session, unit.cohort_id, run_id)
    _settle(session, target, unit, run_id, figures, now)


def _stage(session: Session, target: Target, run_id: int, unit: Unit) -> dict[str, int]:
    """Page by page into the run's staging rows, so memory holds one page however large the cohort."""
    seen = skipped = 0
    for delivery_id in unit.ids:
        stored = session.scalar(sa.select(PushDelivery.members).where(PushDelivery.id == delivery_id)) or []
        for start in range(0, len(stored), STAGE_CHUNK):  # as a pull stages: a page at a time
            chunk = [
                Member(m["ref"], m["identities"], m["traits"]) for m in stored[start : start + STAGE_CHUNK]
            ]
            staged, unusable = staging.stage(session, run_id, target.cohort_id, chunk)
            seen, skipped = seen + staged, skipped + unusable
    return {"members_seen": seen, "members_skipped": skipped}


def _settle(
    session: Session, target: Target, unit: Unit, run_id: int, figures: dict[str, Any], now: datetime
) -> None:
    count = session.scalar(sa.select(sa.func.count()).where(CohortMember.cohort_id == target.cohort_id))
    figures["members"] = count
    session.execute(
        sa.update(Cohort)
        .where(Cohort.id == target.cohort_id)
        .values(member_count=count or 0, last_synced_at=now, status="ok", last_error=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(PushDelivery)
        .where(PushDelivery.id.in_(unit.ids))
        .values(status=APPLIED, applied_at=now, run_id=run_id)
        .execution_options(synchronize_session=False)
    )
    # a snapshot begun before this and still missing pages is out of date: its late pages must
    # not undo what came after it (the provider sends a whole new one after its errors)
    session.execute(
        sa.update(PushDelivery)
        .where(
            PushDelivery.cohort_id == target.cohort_id,
            PushDelivery.kind == PushKind.SNAPSHOT.value,
            PushDelivery.status == PENDING,
            PushDelivery.id < min(unit.ids),
        )
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    finished = utcnow()
    session.execute(
        sa.update(Run)
        .where(Run.id == run_id)
        .values(
            status="succeeded",
            finished_at=finished,
            duration_ms=int((finished - now).total_seconds() * 1000),
            stats=figures,
        )
        .execution_options(synchronize_session=False)
    )
