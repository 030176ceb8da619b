"""One way to run work later: `enqueue(fn, *args, at=None, job_id=None)`.

With REDIS_URL the work goes to RQ (retries with backoff, timeouts, unique ids, failures in
RQ's registries). Without it an in-process worker runs the same functions, so the embedded
default needs nothing else installed. Job functions are importable, take ids, and are
wrapped by `@job` so they always run inside an app context.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ParamSpec, Protocol, TypeVar

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import import_attribute
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUE_NAME = "journeyhub"
RETRY_INTERVALS = (10, 60, 300)
JOB_TIMEOUT_S = 15 * 60
FAILURE_TTL_S = 14 * 24 * 3600
_JOB_ID = re.compile(r"[A-Za-z0-9_-]+")
_FINISHED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED}

JobRef = Callable[..., Any] | str
P = ParamSpec("P")
R = TypeVar("R")
_worker_app: Flask | None = None


def job(fn: Callable[P, R]) -> Callable[P, R]:
    """Runs `fn` in an app context: the caller's, or the worker process's own app."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return fn(*args, **kwargs)
        with worker_app().app_context():
            return fn(*args, **kwargs)

    return run


def worker_app() -> Flask:
    """The app `journeyhub worker` created before forking; work-horses inherit it."""
    if _worker_app is None:
        raise RuntimeError("this process has no journeyhub app: run RQ workers with `journeyhub worker`")
    return _worker_app


def adopt_worker_app(app: Flask | None) -> None:
    """The worker's own app, created once before forking so work-horses inherit it."""
    global _worker_app
    _worker_app = app


class Backend(Protocol):
    def enqueue(self, fn: JobRef, args: tuple[Any, ...], at: datetime | None, job_id: str | None) -> str: ...


class RQBackend:
    def __init__(self, redis_url: str) -> None:
        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)

    def enqueue(self, fn: JobRef, args: tuple[Any, ...], at: datetime | None, job_id: str | None) -> str:
        try:
            return self._enqueue(fn, args, at, job_id)
        except DuplicateJobError:
            assert job_id is not None  # noqa: S101 - only unique jobs can be duplicates
            if self._is_live(job_id):
                return job_id
            Job.fetch(job_id, connection=self.redis).delete()
            return self._enqueue(fn, args, at, job_id)

    def _enqueue(self, fn: JobRef, args: tuple[Any, ...], at: datetime | None, job_id: str | None) -> str:
        options: dict[str, Any] = {
            "retry": Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
            "failure_ttl": FAILURE_TTL_S,
            "job_id": job_id,
        }
        target: Any = fn  # RQ takes a function or its dotted path; its stubs bind them to one TypeVar
        if at is None:
            # Without a pipeline RQ registers the queue and saves the job in two round trips;
            # every ingest commit enqueues one job, so they share one MULTI/EXEC instead.
            with self.redis.pipeline() as pipe:
                created = self.queue.enqueue(
                    target,
                    *args,
                    unique=job_id is not None,
                    job_timeout=JOB_TIMEOUT_S,
                    pipeline=pipe,
                    **options,
                )
                pipe.execute()
            return created.id
        created = self.queue.create_job(
            target, args=args, status=JobStatus.SCHEDULED, timeout=JOB_TIMEOUT_S, **options
        )
        return self.queue.schedule_job(created, at, unique=job_id is not None).id

    def _is_live(self, job_id: str) -> bool:
        try:
            status = Job.fetch(job_id, connection=self.redis).get_status()
        except NoSuchJobError:
            return False
        return status not in _FINISHED


class InProcessBackend:
    """Threads in this process; retries on the same schedule as RQ; `drain()` before the process ends."""

    def __init__(
        self, app: Flask, workers: int = 2, retry_intervals: tuple[float, ...] = RETRY_INTERVALS
    ) -> None:
        self._app = app
        self.retry_intervals = retry_intervals
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="journeyhub-job")
        self._lock = threading.Condition()
        self._live: set[str] = set()
        self._busy = 0
        self._waiting = 0
        """Jobs on a timer (a retry, or enqueued with `at`): not running yet, but not done either."""
        self._timers: set[threading.Timer] = set()
        self.failures: deque[tuple[str, str]] = deque(maxlen=100)
        self._stopped = False

    def enqueue(self, fn: JobRef, args: tuple[Any, ...], at: datetime | None, job_id: str | None) -> str:
        if isinstance(fn, str):
            fn = import_attribute(fn)
        name = job_id or f"{fn.__module__}.{fn.__qualname__}:{uuid.uuid4().hex}"
        with self._lock:
            if job_id is not None and job_id in self._live:
                return job_id
            self._live.add(name)
        delay = 0.0 if at is None else (at - datetime.now(UTC)).total_seconds()
        self._later(delay, fn, args, name, 0)
        return name

    def every(self, seconds: float, fn: Callable[[], Any]) -> None:
        """Periodic work for the embedded mode (RQ's cron does this in production)."""

        def tick() -> None:
            self.enqueue(fn, (), None, f"periodic:{fn.__module__}.{fn.__qualname__}")
            self._arm(seconds, tick)

        self._arm(seconds, tick)

    def _later(
        self, delay: float, fn: Callable[..., Any], args: tuple[Any, ...], name: str, attempt: int
    ) -> None:
        if delay <= 0:
            self._submit(fn, args, name, attempt)
            return
        with self._lock:
            self._waiting += 1
        self._arm(delay, lambda: self._submit(fn, args, name, attempt, waited=True))

    def _arm(self, delay: float, action: Callable[[], None]) -> None:
        with self._lock:
            if self._stopped:
                return
            timer = threading.Timer(delay, lambda: self._fire(timer, action))
            timer.daemon = True
            self._timers.add(timer)
        timer.start()

    def _fire(self, timer: threading.Timer, action: Callable[[], None]) -> None:
        with self._lock:
            self._timers.discard(timer)
        action()

    def _submit(
        self, fn: Callable[..., Any], args: tuple[Any, ...], name: str, attempt: int, *, waited: bool = False
    ) -> None:
        with self._lock:
            self._waiting -= waited
            if self._stopped:
                return
            self._busy += 1
        self._executor.submit(self._run, fn, args, name, attempt)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], name: str, attempt: int) -> None:
        retry_in: float | None = None
        try:
            with self._app.app_context():
                fn(*args)
        except Exception as exc:
            if attempt < len(self.retry_intervals):
                retry_in = self.retry_intervals[attempt]
                log.warning(
                    "job %s failed (%s); retry %d in %ss", name, type(exc).__name__, attempt + 1, retry_in
                )
            else:
                log.exception("job %s failed for good", name)
                self.failures.append((name, f"{type(exc).__name__}: {exc}"))
        finally:
            with self._lock:
                if retry_in is None:
                    self._live.discard(name)
                else:
                    self._waiting += 1  # counted before `busy` drops, so drain() never sees a gap
                self._busy -= 1
                self._lock.notify_all()
        if retry_in is not None:
            self._arm(retry_in, lambda: self._submit(fn, args, name, attempt + 1, waited=True))

    def drain(self, timeout: float = 30.0) -> bool:
        """Waits until no job is running, ready, or waiting to retry; True when idle within `timeout`.

        Jobs on a timer count: a process that exits while a retry waits would lose that work.
        """
        with self._lock:
            return self._lock.wait_for(lambda: self._busy == 0 and self._waiting == 0, timeout=timeout)

    def shutdown(self) -> None:
        with self._lock:
            self._stopped = True
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
        self._executor.shutdown(wait=True, cancel_futures=False)


def init_app(app: Flask, redis_url: str | None) -> None:
    backend: Backend = RQBackend(redis_url) if redis_url else InProcessBackend(app)
    app.extensions["journeyhub.jobs"] = backend


def backend() -> Backend:
    return current_app.extensions["journeyhub.jobs"]  # type: ignore[no-any-return]


def enqueue(fn: JobRef, *args: Any, at: datetime | None = None, job_id: str | None = None) -> str:
    """`fn` may be a dotted path, so hub can start work in `recipes` without importing it.

    A `job_id` makes the job unique while it is queued, scheduled or running. RQ allows only
    letters, digits, `_` and `-` in ids; the in-process backend holds ids to the same rule.
    """
    if job_id is not None and not _JOB_ID.fullmatch(job_id):
        raise ValueError(f"job id {job_id!r} may hold only letters, digits, '_' and '-'")
    return backend().enqueue(fn, args, at, job_id)


def enqueue_after_commit(session: Session, fn: JobRef, *args: Any, job_id: str | None = None) -> None:
    """Work that must only start once the data it reads is committed; dropped on rollback."""
    if not session.in_transaction():
        session.begin()  # so that a rollback before any statement still forgets this work
    session.info.setdefault(_AFTER_COMMIT, []).append((backend(), fn, args, job_id))


_AFTER_COMMIT = "journeyhub.after_commit"
_HELD = "journeyhub.held_jobs"
_Pending = tuple["Backend", JobRef, tuple[Any, ...], str | None]


class HeldJobs:
    """Jobs whose data is committed, to be sent by `send()` once the holder is ready."""

    def __init__(self) -> None:
        self.jobs: list[_Pending] = []

    def send(self) -> None:
        jobs, self.jobs = self.jobs, []
        for queue, fn, args, job_id in jobs:
            queue.enqueue(fn, args, None, job_id)


@contextmanager
def holding_jobs(session: Session) -> Iterator[HeldJobs]:
    """Commits inside the block keep their after-commit jobs for the caller to send.

    The ingest's group commit lets the next group start committing before it sends the jobs
    of the one just committed (hub/inbound/combine.py): the Redis round trip no longer holds
    up every request queued behind it. The caller still answers only after sending.
    """
    held = session.info[_HELD] = HeldJobs()
    try:
        yield held
    finally:
        session.info.pop(_HELD, None)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    committed = session.info.pop(_AFTER_COMMIT, [])
    held = session.info.get(_HELD)
    if held is not None:
        held.jobs.extend(committed)
        return
    for queue, fn, args, job_id in committed:
        queue.enqueue(fn, args, None, job_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _transaction: Any) -> None:
    session.info.pop(_AFTER_COMMIT, None)
