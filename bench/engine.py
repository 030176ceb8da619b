"""Recipe engine throughput: batched evaluation against one RQ job per event, on PostgreSQL.

Starts a real PostgreSQL and Redis on loopback, creates 20 recipes (each triggered by its own
event name) and stores events in chunks the way ingest commits them, 10% of them named
after a trigger. The engine gets one `recipes.evaluate.evaluate_events` job per chunk, as
ingest enqueues it; the baseline one job per event. Both run on one RQ worker process
(SimpleWorker: each job in the worker process itself) that takes evaluation jobs only: the
invites' outbox rows are written by the evaluation, their delivery is not run.

Two figures per mode. Events evaluated per second per worker: the events are stored first
and the worker then drains their jobs; the rate is events over the time from the first job's
start to the last one's end (from the jobs' own run records); beside it the CPU the worker,
PostgreSQL and Redis spent per 1,000 events, which other work on a shared machine does not
change the way it changes the rate. p95 from event stored to
invite row: chunks are then stored one at a time, each waiting for its jobs, as a steady
trickle of commits meets an idle worker; "stored" is the moment the chunk's commit returned,
so the figure is the engine's (queue, job, evaluation), not the insert's. Last line: one
JSON object.

    python bench/engine.py [--quick] [--events 100000] [--chunk 1000] [--baseline-events 2000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cpu  # noqa: E402
from tests.servers import start_postgres, start_redis  # noqa: E402

RECIPES = 20
PEOPLE = 25_000
BASELINE_PEOPLE = 5_000
"""The baseline's own people, so the engine's invites do not cap them."""
JOB = "recipes.evaluate.evaluate_events"
QUEUE = "bench-evaluate"
"""The worker takes evaluation jobs only: the outbox drain jobs the evaluations queue (sending
the invites) wait on the app's own queue, so delivery is not counted as evaluation."""
LATENCY_CHUNKS = 20


def make_app(database_url: str, redis_url: str | None = None) -> Any:
    from hub.app import create_app

    settings = {
        "JOURNEYHUB_HOME": tempfile.mkdtemp(prefix="journeyhub-bench-"),
        "DATABASE_URL": database_url,
        "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
    }
    if redis_url:
        settings["REDIS_URL"] = redis_url
    return create_app(settings)


def seed(app: Any) -> tuple[int, list[int]]:
    """A source connection, the people, one campaign and 20 recipes; answers (connection, people)."""
    from hub.db import db
    from hub.migrate import upgrade
    from hub.models import Connection, Profile
    from recipes.campaigns.schema import CampaignIn
    from recipes.campaigns.service import save_campaign
    from recipes.engine.saving import save_recipe
    from recipes.engine.schema import RecipeIn

    with app.app_context():
        upgrade(db.engine)
        connection = Connection(connector="generic", name="bench", config_encrypted="")
        db.session.add(connection)
        rows = db.session.execute(
            sa.insert(Profile).returning(Profile.id),
            [{"traits": {"plan": ("pro", "free")[n % 2]}} for n in range(PEOPLE)],
        )
        people = [row[0] for row in rows]
        db.session.commit()
        body = {"name": "bench", "interview_url": "https://example.com/i", "channel": "webhook"}
        campaign = save_campaign(CampaignIn.model_validate(body))
        for n in range(RECIPES):
            recipe = {
                "name": f"recipe {n}",
                "trigger": {"type": "event", "event": f"trigger_{n}"},
                "conditions": {"all": [{"field": "properties.value", "op": "gt", "value": 10}]},
                "screener": {"any": [{"field": "traits.plan", "op": "in", "value": ["pro", "free"]}]},
                "caps": {"per_person_days": 0, "per_campaign_person": {"days": 1}},
                "campaign_id": campaign.id,
            }
            save_recipe(RecipeIn.model_validate(recipe))
        return connection.id, people


def store(app: Any, connection_id: int, people: list[int], count: int, start: int) -> list[int]:
    """`count` events in one commit, as one ingest request stores them; 10% name a trigger,
    each for the next person in turn, so most of them pass the caps and become invites."""
    from hub.db import db, utcnow
    from hub.models import Event

    now = utcnow()
    rows = [
        {
            "connection_id": connection_id,
            "external_id": uuid.uuid4().hex,
            "name": f"trigger_{n // 10 % RECIPES}" if n % 10 == 0 else "page_viewed",
            "profile_id": people[n // 10 % len(people)] if n % 10 == 0 else people[n * 7919 % len(people)],
            "properties": {"value": n % 50, "path": "/pricing"},
            "occurred_at": now,
            "received_at": now,
        }
        for n in range(start, start + count)
    ]
    with app.app_context():
        ids = [
            r[0]
            for r in db.session.execute(
                sa.insert(Event).returning(Event.id, sort_by_parameter_order=True), rows
            )
        ]
        db.session.commit()
    return ids


def _work(app: Any, redis_url: str) -> None:
    """The worker process: RQ's SimpleWorker on the app's queue, as `journeyhub worker` runs it."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    from hub.runtime.jobs import adopt_worker_app

    adopt_worker_app(app)
    redis = Redis.from_url(redis_url)
    SimpleWorker([Queue(QUEUE, connection=redis)], connection=redis).work(logging_level="WARNING")


@contextmanager
def worker(app: Any, redis_url: str) -> Iterator[int]:
    process = multiprocessing.get_context("fork").Process(target=_work, args=(app, redis_url), daemon=True)
    process.start()
    try:
        yield int(process.pid or 0)
    finally:
        process.terminate()
        process.join(timeout=30)


class Jobs:
    """Enqueues evaluation jobs and waits until the worker has run them: one worker takes a
    queue's jobs in order, so the last one finished means all of them did."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.queue = Queue(QUEUE, connection=Redis.from_url(redis_url))
        self.last: Any = None

    def add(self, ids: list[int], per_event: bool) -> None:
        for batch in ([i] for i in ids) if per_event else [ids]:
            self.last = self.queue.enqueue(JOB, batch)

    def wait(self) -> None:
        while (status := self.last.get_status(refresh=True)) != "finished":
            if status == "failed":
                raise SystemExit(f"evaluation job {self.last.id} failed")
            time.sleep(0.002)


def measure(
    app: Any,
    servers: Servers,
    connection_id: int,
    people: list[int],
    events: int,
    chunk: int,
    per_event: bool,
) -> tuple[float, float, float]:
    """(events evaluated per second per worker, p95 ms from event stored to invite row, CPU ms per 1,000)."""
    from hub.db import utcnow

    jobs = Jobs(servers.redis.url)
    stored = [store(app, connection_id, people, min(chunk, events - s), s) for s in range(0, events, chunk)]
    _vacuum(app)
    runs_before = _run_count(app)
    for ids in stored:
        jobs.add(ids, per_event)
    with worker(app, servers.redis.url) as pid:
        spent = -servers.cpu_seconds(pid)
        jobs.wait()
        spent += servers.cpu_seconds(pid)
        busy = _busy_seconds(app, runs_before)
        waits: list[float] = []
        for n in range(LATENCY_CHUNKS if not per_event else 1):
            ids = store(app, connection_id, people, chunk, events + n * chunk)
            committed = utcnow()
            jobs.add(ids, per_event)
            jobs.wait()
            waits += [(made - committed).total_seconds() * 1000 for made in _invited_at(app, ids)]
    p95 = statistics.quantiles(waits, n=20)[-1] if len(waits) > 1 else 0.0
    return events / busy, p95, spent * 1000 * 1000 / events


@dataclass
class Servers:
    postgres: Any
    redis: Any

    def cpu_seconds(self, worker_pid: int) -> float:
        """CPU the worker, this PostgreSQL and Redis have used."""
        return cpu.seconds(worker_pid, self.redis.process.pid, *cpu.postgres_pids(self.postgres))


def _vacuum(app: Any) -> None:
    """Autovacuum's pass over the events just stored is not evaluation: done before measuring."""
    from hub.db import db

    with app.app_context(), db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM (ANALYZE)"))


def _run_count(app: Any) -> int:
    from hub.db import db
    from hub.models import Run

    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.max(Run.id))) or 0)


def _busy_seconds(app: Any, after_run: int) -> float:
    """From the first evaluation job's start to the last one's end, by their run records."""
    from hub.db import db
    from hub.models import Run

    with app.app_context():
        first, last = db.session.execute(
            sa.select(sa.func.min(Run.started_at), sa.func.max(Run.finished_at)).where(
                Run.id > after_run, Run.kind == "evaluate"
            )
        ).one()
    return float((last - first).total_seconds())


def _invited_at(app: Any, event_ids: list[int]) -> list[Any]:
    """When the invites of these events were written."""
    from hub.db import db
    from hub.models import Invite

    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Invite.created_at).where(Invite.event_id.between(event_ids[0], event_ids[-1]))
            )
        )


def count_invites(app: Any) -> int:
    from hub.db import db
    from hub.models import Invite

    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Invite)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 events and a 300-event baseline")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000, help="events per ingest commit (one job)")
    parser.add_argument("--baseline-events", type=int, default=2000)
    args = parser.parse_args()
    if args.quick:
        args.events, args.baseline_events = 10_000, 300
    postgres, redis = start_postgres(), start_redis()
    try:
        admin = sa.create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        app = make_app(postgres.url("bench"), redis.url)
        connection_id, people = seed(app)
        servers = Servers(postgres, redis)
        mine, theirs = people[BASELINE_PEOPLE:], people[:BASELINE_PEOPLE]
        engine = measure(app, servers, connection_id, mine, args.events, args.chunk, False)
        small = min(args.chunk, args.baseline_events)
        baseline = measure(app, servers, connection_id, theirs, args.baseline_events, small, True)
        invites = count_invites(app)
    finally:
        redis.stop()
        postgres.stop()
    print(f"{'mode':<28}{'events':>8}{'events/s/worker':>17}{'p95 stored->invite ms':>23}{'CPU ms/1000':>13}")
    for name, events, (rate, p95, spent) in (
        ("engine (a job per commit)", args.events, engine),
        ("baseline (a job per event)", args.baseline_events, baseline),
    ):
        print(f"{name:<28}{events:>8}{rate:>17,.0f}{p95:>23,.0f}{spent:>13,.0f}")
    print(f"invites made: {invites}; {RECIPES} recipes; {args.chunk} events per commit", end="")
    print(f" ({small} for the baseline's p95); CPU: worker + PostgreSQL + Redis")
    figures = {
        "bench": "engine",
        "events_per_s": round(engine[0]),
        "p95_ms": round(engine[1]),
        "cpu_ms_per_1000": round(engine[2]),
        "baseline_events_per_s": round(baseline[0]),
        "baseline_p95_ms": round(baseline[1]),
        "baseline_cpu_ms_per_1000": round(baseline[2]),
        "vs_baseline": round(engine[0] / baseline[0], 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
