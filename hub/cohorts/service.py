"""What the API, the CLI and the scheduler ask of cohorts: create one, sync one now, sync the due ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from connectors.registry import get_connector
from connectors.sdk import Capability
from hub.cohorts import runs
from hub.cohorts.sync import NEEDS_ATTENTION, OK
from hub.db import db, utcnow
from hub.models import Cohort, Connection, Run
from hub.runtime import jobs

log = logging.getLogger(__name__)
SYNC_JOB = "hub.cohorts.sync.sync_cohort"


class CohortProblem(ValueError):
    """A request that cannot be honoured; `code` and `field` say which part of it."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.field = code, field


def job_id(cohort_id: int) -> str:
    """One id per cohort: RQ refuses a second live job with it, so a cohort is queued at most once.

    RQ allows only letters, digits, `_` and `-` in job ids, hence no `cohort-sync:<id>`.
    """
    return f"cohort-sync-{cohort_id}"


def create_cohort(connection_id: int, source_ref: str, name: str, interval_minutes: int = 15) -> Cohort:
    """Due at once, so the next scheduler tick pulls the first membership."""
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        raise CohortProblem("unknown_connection", f"no connection {connection_id}", "connection_id")
    connector = get_connector(connection.connector)
    if Capability.SOURCE not in connector.spec.capabilities or connector.source is None:
        raise CohortProblem(
            "not_a_source", f"{connection.connector} connections cannot provide cohorts", "connection_id"
        )
    cohort = Cohort(
        connection_id=connection_id,
        source_ref=source_ref.strip(),
        name=name,
        interval_minutes=interval_minutes,
        next_sync_at=utcnow(),
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort


@dataclass(frozen=True)
class Requested:
    run_id: int
    run_status: str
    """As it was when the sync was asked for: the job may start (and the run move on) at once."""
    job_id: str


def request_sync(cohort: Cohort) -> Requested:
    """The run that will carry the sync: the one running, the one already queued, or a new one.

    Asking explicitly also clears a cohort parked for its own settings (a wrong list id), since
    asking again is how a person says it is fixed; a parked connection needs its own fix.
    """
    connection = cohort.connection
    if connection.status == NEEDS_ATTENTION:
        raise CohortProblem(
            "connection_needs_attention",
            f"connection {connection.id} needs attention: {connection.last_error}; "
            "update its settings or test it (POST /api/v1/connections/<id>/test) first",
        )
    cohort.status = OK
    run = runs.running_run(db.session, cohort.id) if cohort.lease_token else None
    if run is None:
        run = runs.queued_run(db.session, cohort.id) or Run(kind=runs.KIND, subject=runs.subject(cohort.id))
        run.status = runs.QUEUED
        db.session.add(run)
    db.session.commit()
    run_id, status = run.id, run.status
    return Requested(run_id, status, jobs.enqueue(SYNC_JOB, cohort.id, job_id=job_id(cohort.id)))


def due_cohort_ids(now: datetime | None = None) -> list[int]:
    """Due by interval, or asked for (a queued run) while an earlier sync was still running."""
    moment = now or utcnow()
    subject = sa.literal("cohort:") + sa.cast(Cohort.id, sa.String)
    queued = sa.exists().where(Run.kind == runs.KIND, Run.subject == subject, Run.status == runs.QUEUED)
    stmt = (
        sa.select(Cohort.id)
        .join(Connection, Connection.id == Cohort.connection_id)
        .where(Connection.status != NEEDS_ATTENTION, Cohort.status != NEEDS_ATTENTION)
        .where(sa.or_(Cohort.next_sync_at <= moment, queued))
        .order_by(Cohort.next_sync_at)
    )
    return list(db.session.scalars(stmt))


@jobs.job
def enqueue_due_cohorts() -> list[int]:
    """The periodic tick (hub.runtime.schedule): queues each due cohort under its one job id."""
    due = due_cohort_ids()
    for cohort_id in due:
        jobs.enqueue(SYNC_JOB, cohort_id, job_id=job_id(cohort_id))
    if due:
        log.info("queued cohort syncs: %s", due)
    return due
