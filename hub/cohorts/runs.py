"""The run record of a cohort sync: queued by a request, running with live figures, then done or failed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Run
from hub.outbound.retries import RetryStats

KIND = "cohort_sync"
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"


def subject(cohort_id: int) -> str:
    return f"cohort:{cohort_id}"


@dataclass
class Split:
    """Where a sync's time went, in seconds: waiting for the provider's pages (`fetch`), writing
    them to staging (`stage`), finding the changes (`diff`), and writing those (`write`)."""

    fetch_s: float = 0.0
    stage_s: float = 0.0
    diff_s: float = 0.0
    write_s: float = 0.0

    @contextmanager
    def timing(self, part: Literal["fetch", "stage", "diff", "write"]) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            name = f"{part}_s"
            setattr(self, name, getattr(self, name) + time.perf_counter() - started)


@dataclass
class Figures:
    pages: int = 0
    members_seen: int = 0
    members_skipped: int = 0
    entered: int = 0
    exited: int = 0
    members: int | None = None
    split: Split = field(default_factory=Split)

    def stats(self, retry: RetryStats) -> dict[str, Any]:
        figures = asdict(self)
        split = figures.pop("split")
        return (
            figures
            | {name: round(seconds, 3) for name, seconds in split.items()}
            | {
                "retries": retry.retries,
                "rate_limited_waits": retry.rate_limited_waits,
                "waited_s": round(retry.waited_s, 3),
            }
        )


def queued_run(session: Session, cohort_id: int) -> Run | None:
    return session.scalars(
        sa.select(Run)
        .where(Run.kind == KIND, Run.subject == subject(cohort_id), Run.status == QUEUED)
        .order_by(Run.id)
        .limit(1)
    ).first()


def running_run(session: Session, cohort_id: int) -> Run | None:
    return session.scalars(
        sa.select(Run)
        .where(Run.kind == KIND, Run.subject == subject(cohort_id), Run.status == RUNNING)
        .order_by(Run.id.desc())
        .limit(1)
    ).first()


def begin(session: Session, cohort_id: int, now: datetime) -> Run:
    """Called holding the lease: a run still marked running was left by a worker that died."""
    session.execute(
        sa.update(Run)
        .where(Run.kind == KIND, Run.subject == subject(cohort_id), Run.status == RUNNING)
        .values(
            status=FAILED, finished_at=now, error="abandoned: the worker stopped before the sync finished"
        )
        .execution_options(synchronize_session=False)
    )
    run = queued_run(session, cohort_id) or Run(kind=KIND, subject=subject(cohort_id))
    run.status, run.started_at, run.stats = RUNNING, now, Figures().stats(RetryStats())
    session.add(run)
    session.flush()
    return run


def progress(run: Run, figures: Figures, retry: RetryStats) -> None:
    run.stats = figures.stats(retry)


def end(run: Run, status: str, figures: Figures, retry: RetryStats, error: str | None = None) -> None:
    now = utcnow()
    run.status, run.error, run.finished_at = status, error, now
    run.duration_ms = int((now - run.started_at).total_seconds() * 1000)
    run.stats = figures.stats(retry)
