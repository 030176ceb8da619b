"""Importable job functions for the queue tests (RQ imports jobs by dotted path)."""

from __future__ import annotations

from hub.db import db, utcnow
from hub.models import Run
from hub.runtime.jobs import job


@job
def record_run(subject: str) -> int:
    run = Run(kind="test", subject=subject, status="succeeded", finished_at=utcnow())
    db.session.add(run)
    db.session.commit()
    return run.id


@job
def fail_until(subject: str, failures: int) -> None:
    """Fails `failures` times (counted in the database), then records success."""
    done = db.session.query(Run).filter_by(kind="attempt", subject=subject).count()
    db.session.add(Run(kind="attempt", subject=subject, status="failed" if done < failures else "succeeded"))
    db.session.commit()
    if done < failures:
        raise RuntimeError(f"attempt {done + 1} fails on purpose")
