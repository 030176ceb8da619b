"""The queue: the same job functions on RQ (real Redis, real worker) and in-process."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from hub.db import db
from hub.models import Run
from hub.runtime import jobs
from tests.job_samples import fail_until, record_run


def runs(app: Flask, kind: str) -> list[Run]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Run).where(Run.kind == kind).order_by(Run.id)))


def test_in_process_runs_job_in_app_context(app: Flask) -> None:
    with app.app_context():
        jobs.enqueue(record_run, "a")
        jobs.enqueue("tests.job_samples.record_run", "b")
    assert app.extensions["journeyhub.jobs"].drain(10)
    assert sorted(r.subject for r in runs(app, "test")) == ["a", "b"]


def test_in_process_unique_job_id_runs_once(app: Flask) -> None:
    later = datetime.now(UTC) + timedelta(seconds=0.3)
    with app.app_context():
        first = jobs.enqueue(record_run, "once", at=later, job_id="only-one")
        second = jobs.enqueue(record_run, "once", at=later, job_id="only-one")
    assert first == second == "only-one"
    time.sleep(0.5)
    assert app.extensions["journeyhub.jobs"].drain(10)
    assert [r.subject for r in runs(app, "test")] == ["once"]


def test_in_process_retries_a_failing_job(app: Flask) -> None:
    app.extensions["journeyhub.jobs"].retry_intervals = (0.05, 0.05, 0.05)
    with app.app_context():
        jobs.enqueue(fail_until, "flaky", 2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(runs(app, "attempt")) < 3:
        time.sleep(0.05)
    assert app.extensions["journeyhub.jobs"].drain(10)
    assert [r.status for r in runs(app, "attempt")] == ["failed", "failed", "succeeded"]


def test_drain_waits_for_a_job_waiting_to_retry(app: Flask) -> None:
    """A CLI command that exits while a retry waits on its timer would lose that work."""
    backend = app.extensions["journeyhub.jobs"]
    backend.retry_intervals = (0.5,)
    with app.app_context():
        jobs.enqueue(fail_until, "retry-later", 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not runs(app, "attempt"):
        time.sleep(0.01)
    assert [r.status for r in runs(app, "attempt")] == ["failed"]
    assert backend.drain(10)
    assert [r.status for r in runs(app, "attempt")] == ["failed", "succeeded"]


def test_drain_gives_up_at_its_timeout_while_a_retry_still_waits(app: Flask) -> None:
    backend = app.extensions["journeyhub.jobs"]
    backend.retry_intervals = (30,)
    with app.app_context():
        jobs.enqueue(fail_until, "retry-much-later", 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not runs(app, "attempt"):
        time.sleep(0.01)
    assert not backend.drain(0.3)


def test_in_process_gives_up_after_the_last_retry(app: Flask) -> None:
    app.extensions["journeyhub.jobs"].retry_intervals = (0.01,)
    backend = app.extensions["journeyhub.jobs"]
    with app.app_context():
        jobs.enqueue(fail_until, "hopeless", 99)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not backend.failures:
        time.sleep(0.05)
    assert len(runs(app, "attempt")) == 2
    assert "fails on purpose" in backend.failures[-1][1]


def test_after_commit_enqueues_only_committed_work(app: Flask) -> None:
    with app.app_context():
        jobs.enqueue_after_commit(db.session, record_run, "rolled-back")
        db.session.rollback()
        jobs.enqueue_after_commit(db.session, record_run, "committed")
        db.session.commit()
    assert app.extensions["journeyhub.jobs"].drain(10)
    assert [r.subject for r in runs(app, "test")] == ["committed"]


def test_rq_real_worker_runs_the_job(rq_app: Flask) -> None:
    backend = rq_app.extensions["journeyhub.jobs"]
    with rq_app.app_context():
        job_id = jobs.enqueue(record_run, "via-rq")
        SimpleWorker([backend.queue], connection=backend.redis).work(burst=True)
    job = Job.fetch(job_id, connection=backend.redis)
    assert job.get_status() == "finished"
    assert [r.subject for r in runs(rq_app, "test")] == ["via-rq"]
    assert job.return_value() == runs(rq_app, "test")[0].id


def test_rq_job_without_app_context_uses_the_worker_app(rq_app: Flask) -> None:
    """A worker process has no request: `@job` gives each job a fresh context of its own app."""
    backend = rq_app.extensions["journeyhub.jobs"]
    jobs.adopt_worker_app(rq_app)
    try:
        with rq_app.app_context():
            jobs.enqueue(record_run, "no-context")
        SimpleWorker([backend.queue], connection=backend.redis).work(burst=True)
    finally:
        jobs.adopt_worker_app(None)  # type: ignore[arg-type]
    assert [r.subject for r in runs(rq_app, "test")] == ["no-context"]


def test_rq_unique_job_id_and_scheduled_registry(rq_app: Flask) -> None:
    backend = rq_app.extensions["journeyhub.jobs"]
    at = datetime.now(UTC) + timedelta(hours=1)
    with rq_app.app_context():
        first = jobs.enqueue(record_run, "later", at=at, job_id="sync-1")
        second = jobs.enqueue(record_run, "later", at=at, job_id="sync-1")
    assert first == second == "sync-1"
    assert ScheduledJobRegistry(queue=backend.queue).get_job_ids() == ["sync-1"]


def test_rq_finished_unique_job_can_be_enqueued_again(rq_app: Flask) -> None:
    backend = rq_app.extensions["journeyhub.jobs"]
    with rq_app.app_context():
        jobs.enqueue(record_run, "one", job_id="again")
        SimpleWorker([backend.queue], connection=backend.redis).work(burst=True)
        jobs.enqueue(record_run, "two", job_id="again")
        SimpleWorker([backend.queue], connection=backend.redis).work(burst=True)
    assert [r.subject for r in runs(rq_app, "test")] == ["one", "two"]


def test_rq_failure_is_retried_then_visible_in_failed_registry(
    rq_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "RETRY_INTERVALS", (0, 0))
    backend = rq_app.extensions["journeyhub.jobs"]
    with rq_app.app_context():
        job_id = jobs.enqueue(fail_until, "rq-hopeless", 99)
        SimpleWorker([backend.queue], connection=backend.redis).work(burst=True)
    assert [r.status for r in runs(rq_app, "attempt")] == ["failed", "failed", "failed"]
    assert job_id in FailedJobRegistry(queue=backend.queue).get_job_ids()
    assert "fails on purpose" in (
        Job.fetch(job_id, connection=backend.redis).latest_result().exc_string or ""
    )


def test_job_ids_follow_rqs_rule_in_both_backends(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValueError, match="letters, digits"):
        jobs.enqueue(record_run, "x", job_id="cohort:1")


def test_rq_enqueue_is_one_round_trip(rq_app: Flask) -> None:
    """Every ingest commit enqueues a job: registering the queue and saving the job share one MULTI/EXEC."""
    backend = rq_app.extensions["journeyhub.jobs"]
    with rq_app.app_context():
        first = jobs.enqueue(record_run, "first")  # RQ asks for the server's version once per queue
        backend.redis.config_resetstat()
        second = jobs.enqueue(record_run, "second")
    stats = backend.redis.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items()}
    assert calls.pop("config|resetstat") == 1
    assert calls.pop("info", 0) <= 1  # this very INFO, on servers that count it before answering
    assert calls.pop("multi") == calls.pop("exec") == 1
    assert set(calls) <= {"sadd", "hset", "rpush", "expire", "persist"}
    assert backend.queue.name in [q.name for q in Queue.all(connection=backend.redis)]
    assert backend.queue.job_ids == [first, second]
