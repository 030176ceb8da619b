"""One cohort sync: lease, fetch pages into staging, then diff in one transaction.

The sync uses its own session so per-page commits (staged rows plus live run figures) never
mix with a caller's unit of work. A failure anywhere before the diff commits leaves the
stored membership as it was; credentials the provider rejects park the connection, other
provider failures propagate so the job queue retries the whole sync.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.registry import get_connector
from hub.cohorts import lease, runs, staging
from hub.cohorts.ahead import ahead
from hub.cohorts.diff import Target, add_entries, remove_exits
from hub.connections import settings
from hub.db import db, utcnow
from hub.models import Cohort, CohortMember, Connection, Run
from hub.outbound import ConfigError, RetryStats, outbound_scope
from hub.runtime.jobs import job

log = logging.getLogger(__name__)
DIFF_ATTEMPTS = 4
OK, NEEDS_ATTENTION = "ok", "needs_attention"
CREDENTIAL_STATUSES = (401, 403)
PROGRESS_EVERY_S = 1.0
COMMIT_EVERY = 32
"""Each staging write is a savepoint; PostgreSQL keeps up to 64 of them per transaction cheaply."""
AHEAD, STAGE_AT_ONCE = 8, 10_000
"""Pages fetched ahead at most, and members written at once at most when several are ready."""


class NotSyncable(Exception):
    """The cohort is gone, or a person must fix it or its connection before it syncs again."""


class SyncFailed(Exception):
    """The run is recorded as failed and the membership unchanged; the job queue retries the sync."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"cohort sync run {outcome.run_id} failed: {outcome.error}")
        self.outcome = outcome


class AlreadySyncing(Exception):
    def __init__(self, cohort_id: int, run_id: int | None) -> None:
        super().__init__(f"cohort {cohort_id} is already syncing (run {run_id})")
        self.run_id = run_id


@dataclass(frozen=True)
class Outcome:
    run_id: int
    status: str
    stats: dict[str, Any]
    error: str | None


def run_sync(cohort_id: int) -> Outcome:
    """Raises NotSyncable, AlreadySyncing, or SyncFailed for a failure worth retrying."""
    # one connection throughout: a pooled checkout per page would ping the server each time
    with db.engine.connect() as connection, Session(connection, expire_on_commit=False) as session:
        target = _target(session, cohort_id)
        token, run = _start(session, target)
        sync = _Sync(session, target, run.id, token)
        try:
            sync.fetch()
            sync.diff()
        except ConfigError as exc:
            sync.fail(exc)
        except Exception as exc:
            sync.fail(exc)
            raise SyncFailed(sync.outcome()) from exc
        return sync.outcome()


@job
def sync_cohort(cohort_id: int) -> dict[str, Any]:
    """The queued form; a cohort already syncing or parked is not an error worth retrying."""
    try:
        outcome = run_sync(cohort_id)
    except (AlreadySyncing, NotSyncable) as exc:
        log.info("cohort sync skipped: %s", exc)
        return {"skipped": str(exc)}
    return {"run_id": outcome.run_id, "status": outcome.status, **outcome.stats}


def _target(session: Session, cohort_id: int) -> Target:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotSyncable(f"no cohort {cohort_id}")
    connection = cohort.connection
    if connection.status == NEEDS_ATTENTION:
        raise NotSyncable(f"connection {connection.id} needs attention: {connection.last_error}")
    if get_connector(connection.connector).source is None:
        raise NotSyncable(f"{connection.connector} connections cannot be synced as cohorts")
    return Target(cohort.id, connection.id, connection.connector, cohort.name, cohort.source_ref)


def _start(session: Session, target: Target) -> tuple[str, Run]:
    now = utcnow()
    token = lease.claim(session, target.cohort_id, now)
    if token is None:
        session.rollback()
        running = runs.running_run(session, target.cohort_id)
        raise AlreadySyncing(target.cohort_id, running.id if running else None)
    cohort = session.get(Cohort, target.cohort_id)
    if cohort is None:
        raise NotSyncable(f"no cohort {target.cohort_id}")
    cohort.next_sync_at = now + timedelta(minutes=cohort.interval_minutes)
    staging.clear(session, target.cohort_id)
    run = runs.begin(session, target.cohort_id, now)
    session.commit()
    return token, run


@dataclass
class _Sync:
    """One leased sync in progress: what every step needs, kept together instead of passed along."""

    session: Session
    target: Target
    run_id: int
    token: str
    figures: runs.Figures = field(default_factory=runs.Figures)
    retry: RetryStats = field(default_factory=RetryStats)

    def fetch(self) -> None:
        """Pages are staged as they come, the next ones already on their way (`ahead`), several at
        once when the database is slower than the provider. The run's figures and the lease are
        written and the staged pages committed with the first page, then at most once a second (or
        every few dozen writes), so GET /runs/<id> shows the sync moving while a million-member
        cohort costs a few hundred such writes, not thousands."""
        session, target, split = self.session, self.target, self.figures.split
        connection = session.get(Connection, target.connection_id)
        assert connection is not None  # noqa: S101 - cascades delete cohorts with their connection
        source = get_connector(target.connector).source
        assert source is not None  # noqa: S101 - checked by _target
        config = settings(connection)
        shown, waiting = 0.0, 0
        with outbound_scope(self.retry), ahead(source.members(config, target.source_ref), AHEAD) as fetching:
            while True:
                with split.timing("fetch"):
                    pages = fetching.take(STAGE_AT_ONCE, len)
                if pages is None:
                    break
                with split.timing("stage"):
                    members = [member for page in pages for member in page]
                    staged, skipped = staging.stage(session, self.run_id, target.cohort_id, members)
                    self.figures.pages += len(pages)
                    self.figures.members_seen += staged
                    self.figures.members_skipped += skipped
                    waiting += 1
                    if time.monotonic() - shown >= PROGRESS_EVERY_S or waiting >= COMMIT_EVERY:
                        self._progress()
                        shown, waiting = time.monotonic(), 0
        with split.timing("stage"):
            self._progress()

    def _progress(self) -> None:
        runs.progress(self._run(), self.figures, self.retry)
        lease.renew(self.session, self.target.cohort_id, self.token, utcnow())
        self.session.commit()

    def diff(self) -> None:
        """All or nothing; a concurrent identity claim or SQLite's writer lock redoes the whole diff.

        Renewing the lease is the first statement: a write, so SQLite takes its writer lock before
        the diff reads anything, and PostgreSQL row-locks the cohort against a late rival.
        """
        session, target, split = self.session, self.target, self.figures.split
        for attempt in range(1, DIFF_ATTEMPTS + 1):
            try:
                now = utcnow()
                lease.renew(session, target.cohort_id, self.token, now)
                self.figures.exited = remove_exits(session, target, self.run_id, now, split)
                self.figures.entered = add_entries(session, target, self.run_id, now, split)
                with split.timing("diff"):
                    self.figures.members = session.scalar(
                        sa.select(sa.func.count()).where(CohortMember.cohort_id == target.cohort_id)
                    )
                with split.timing("write"):
                    staging.clear(session, target.cohort_id, self.run_id)
                    self._settle(runs.SUCCEEDED, None, synced_at=now)
                    session.commit()
                return
            except (IntegrityError, OperationalError) as exc:
                session.rollback()
                if attempt == DIFF_ATTEMPTS:
                    raise
                log.info(
                    "cohort %s diff retry %d after %s", target.cohort_id, attempt, type(exc.orig).__name__
                )

    def fail(self, exc: Exception) -> None:
        """Staging is dropped and the membership untouched; rejected credentials also park the connection."""
        session, target = self.session, self.target
        session.rollback()
        message = getattr(exc, "provider_message", None) or str(exc) or type(exc).__name__
        cohort = session.get(Cohort, target.cohort_id)
        if cohort is not None:
            cohort.last_error = str(exc)
        if isinstance(exc, ConfigError):
            parked = (
                session.get(Connection, target.connection_id) if exc.status in CREDENTIAL_STATUSES else None
            )
            if parked is not None:
                parked.status, parked.last_error = NEEDS_ATTENTION, message
            elif cohort is not None:
                cohort.status = NEEDS_ATTENTION
        staging.clear(session, target.cohort_id, self.run_id)
        self._settle(runs.FAILED, str(exc))
        session.commit()

    def outcome(self) -> Outcome:
        run = self._run()
        return Outcome(run.id, run.status, dict(run.stats), run.error)

    def _run(self) -> Run:
        run = self.session.get(Run, self.run_id)
        assert run is not None  # noqa: S101 - created by _start
        return run

    def _settle(self, status: str, error: str | None, synced_at: datetime | None = None) -> None:
        runs.end(self._run(), status, self.figures, self.retry, error)
        if synced_at is not None:
            cohort = self.session.get(Cohort, self.target.cohort_id)
            assert cohort is not None  # noqa: S101 - the lease renewal just matched it
            cohort.last_synced_at, cohort.status, cohort.last_error = synced_at, OK, None
            cohort.member_count = self.figures.members or 0
        lease.release(self.session, self.target.cohort_id, self.token)
