"""`journeyhub worker`: an RQ worker with RQ's own scheduler (for `enqueue(at=...)`)."""

from __future__ import annotations

from flask import Flask
from rq import Worker

from hub import jobs


def run_worker(app: Flask) -> None:
    backend = app.extensions["journeyhub.jobs"]
    if not isinstance(backend, jobs.RQBackend):
        raise RuntimeError("journeyhub worker needs REDIS_URL; without it `journeyhub serve` runs the jobs itself")
    jobs.adopt_worker_app(app)
    Worker([backend.queue], connection=backend.redis).work(with_scheduler=True)
