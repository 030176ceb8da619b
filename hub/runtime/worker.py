"""`journeyhub worker`: an RQ worker with RQ's own scheduler (for `enqueue(at=...)`) and RQ's cron.

The cron runs in a thread of the same process, registering hub.runtime.schedule's periodic jobs, so
one command gives production everything the embedded mode's timers give `serve`.
"""

from __future__ import annotations

import threading

from flask import Flask
from rq import Worker
from rq.cron import CronScheduler

from hub.runtime import jobs, schedule


def run_worker(app: Flask) -> None:
    backend = app.extensions["journeyhub.jobs"]
    if not isinstance(backend, jobs.RQBackend):
        raise RuntimeError(
            "journeyhub worker needs REDIS_URL; without it `journeyhub serve` runs the jobs itself"
        )
    jobs.adopt_worker_app(app)
    # The worker raises the pool's socket timeout above its blocking dequeue; a connection made
    # before that keeps redis-py's 5 s default, and a dequeue on it times out and stops the worker.
    worker = Worker([backend.queue], connection=backend.redis)
    backend.redis.connection_pool.disconnect()
    cron = CronScheduler(connection=backend.redis)
    schedule.register(cron)
    stop = threading.Event()
    ticker = threading.Thread(
        target=schedule.run_cron, args=(cron, stop), name="journeyhub-cron", daemon=True
    )
    ticker.start()
    try:
        worker.work(with_scheduler=True)
    finally:
        stop.set()
        ticker.join(timeout=5)
