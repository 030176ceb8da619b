"""The periodic jobs, declared once and run by RQ's cron in production or by the in-process backend.

Ticks only find due work and enqueue it under unique job ids, so a tick that runs twice (two
workers each running cron, or a restart) queues nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rq.cron import CronScheduler

from hub.cohorts.pushed import enqueue_pending_pushes
from hub.cohorts.service import enqueue_due_cohorts
from hub.outbox.worker import deliver_due
from hub.runtime.jobs import QUEUE_NAME, InProcessBackend
from recipes.registry import PERIODIC as AUTOMATION

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    fn: Callable[[], Any]
    every_s: int


PERIODIC: tuple[Periodic, ...] = (
    Periodic(enqueue_due_cohorts, 60),
    Periodic(enqueue_pending_pushes, 60),
    Periodic(deliver_due, 10),
    *(Periodic(fn, every_s) for fn, every_s in AUTOMATION),
)


def register(scheduler: CronScheduler, queue_name: str = QUEUE_NAME) -> None:
    for periodic in PERIODIC:
        scheduler.register(periodic.fn, queue_name, interval=periodic.every_s)


def run_cron(scheduler: CronScheduler, stop: threading.Event) -> None:
    """CronScheduler.start() without its signal handlers, which only the main thread may install.

    The worker owns the main thread and its signals; this loop uses the scheduler's own
    enqueue, bookkeeping and sleep calculation, and ends when `stop` is set.
    """
    scheduler.register_birth()
    try:
        while not stop.is_set():
            if scheduler.enqueue_jobs():
                scheduler.save()
            scheduler.heartbeat()
            stop.wait(scheduler.calculate_sleep_interval())
    finally:
        scheduler.register_death()


def start_in_process(backend: InProcessBackend) -> None:
    """The embedded mode's cron: the same ticks, on the in-process backend's timers."""
    for periodic in PERIODIC:
        backend.every(periodic.every_s, periodic.fn)
