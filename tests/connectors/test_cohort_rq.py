"""Cohort syncs through the production machinery: RQ's cron, a real RQ worker, the real Redis."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from flask import Flask
from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from hub.cohorts.service import create_cohort, job_id, request_sync
from hub.db import db
from hub.models import Cohort, Run
from hub.outbound.scope import CONFIG_KEY
from hub.runtime import schedule
from hub.runtime.jobs import RQBackend
from tests.connectors.conftest import (
    Sleeps,
    add_connection,
    cohort_events,
    cohort_refs,
    start_fake,
    stored_refs,
)


def burst(backend: RQBackend, *, with_scheduler: bool = False) -> None:
    SimpleWorker([backend.queue], connection=backend.redis).work(burst=True, with_scheduler=with_scheduler)


def test_cron_tick_queues_the_due_cohort_and_a_worker_syncs_it_retrying_a_failure(rq_app: Flask) -> None:
    fake = start_fake("hubspot", 30)
    rq_app.config[CONFIG_KEY] = {"sleep": Sleeps(), "max_attempts": 2}
    backend = rq_app.extensions["journeyhub.jobs"]
    assert isinstance(backend, RQBackend)
    connection_id = add_connection(rq_app, "hubspot", fake)
    ref = str(fake.cohorts()[0]["source_ref"])
    try:
        with rq_app.app_context():
            cohort_id = create_cohort(connection_id, ref, "Everyone").id
            db.session.commit()

            cron = CronScheduler(connection=backend.redis)
            schedule.register(cron)
            stop = threading.Event()
            ticker = threading.Thread(target=schedule.run_cron, args=(cron, stop))
            ticker.start()
            while backend.queue.count == 0:
                stop.wait(0.01)
            stop.set()
            ticker.join(timeout=10)
            queued = sorted(job.func_name for job in backend.queue.get_jobs())
            assert queued == sorted(f"{p.fn.__module__}.{p.fn.__qualname__}" for p in schedule.PERIODIC)
            assert "hub.cohorts.service.enqueue_due_cohorts" in queued

            burst(backend)
            sync_job = Job.fetch(job_id(cohort_id), connection=backend.redis)
            assert sync_job.get_status() == JobStatus.FINISHED
            assert sync_job.return_value()["entered"] == 30
            assert stored_refs(cohort_id) == cohort_refs(fake, ref)
            cohort = db.session.get(Cohort, cohort_id)
            assert (
                cohort is not None and cohort.next_sync_at is not None and cohort.last_synced_at is not None
            )
            assert cohort.next_sync_at > datetime.now(UTC)

            left = sorted(stored_refs(cohort_id))[0]
            fake.remove_member(ref, left)
            fake.inject_fault(500, times=2)
            requested = request_sync(cohort)
            burst(backend)
            sync_job = Job.fetch(requested.job_id, connection=backend.redis)
            assert sync_job.get_status() == JobStatus.SCHEDULED and sync_job.retries_left == 2
            db.session.expire_all()
            assert db.session.get(Run, requested.run_id).status == "failed"  # type: ignore[union-attr]
            assert left in stored_refs(cohort_id) and ("cohort_exited", left) not in cohort_events(cohort_id)

            ScheduledJobRegistry(queue=backend.queue).schedule(sync_job, datetime.now(UTC))
            burst(backend, with_scheduler=True)
            assert Job.fetch(requested.job_id, connection=backend.redis).get_status() == JobStatus.FINISHED
            db.session.expire_all()
            assert cohort_events(cohort_id)[-1] == ("cohort_exited", left)
            assert stored_refs(cohort_id) == cohort_refs(fake, ref)
    finally:
        fake.stop()


def test_asking_twice_before_a_worker_runs_queues_one_sync(rq_app: Flask) -> None:
    fake = start_fake("hubspot", 5)
    backend = rq_app.extensions["journeyhub.jobs"]
    connection_id = add_connection(rq_app, "hubspot", fake)
    try:
        with rq_app.app_context():
            cohort = create_cohort(connection_id, str(fake.cohorts()[0]["source_ref"]), "Everyone")
            db.session.commit()
            first, second = request_sync(cohort), request_sync(cohort)
            assert (
                (first.run_id, first.job_id)
                == (second.run_id, second.job_id)
                == (first.run_id, job_id(cohort.id))
            )
            assert backend.queue.job_ids == [job_id(cohort.id)]
            burst(backend)
            db.session.expire_all()
            assert db.session.get(Run, first.run_id).status == "succeeded"  # type: ignore[union-attr]
    finally:
        fake.stop()
