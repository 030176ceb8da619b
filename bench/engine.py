"""Recipe engine throughput: batched evaluation against one RQ job per event, on PostgreSQL.

Starts a real PostgreSQL and Redis on loopback, creates 20 recipes (each triggered by its own
event name) and stores events in chunks the way ingest commits them, 10% of them named
after a trigger. The engine evaluates each chunk as the one job ingest enqueues for it;
the baseline enqueues one RQ job per event and runs them with one RQ worker. Both run in
this process as one worker. Prints events evaluated per second per worker, p95 from event
stored to invite row, and the ratio; last, one JSON line.

    python bench/engine.py [--quick] [--events 100000] [--chunk 1000] [--baseline-events 5000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import start_postgres, start_redis  # noqa: E402

RECIPES = 20
PEOPLE = 25_000
BASELINE_PEOPLE = 5_000
"""The baseline's own people, so the engine's invites do not cap them."""


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
    """`count` events in one commit, as one ingest request stores them; 10% name a trigger."""
    from hub.db import db, utcnow
    from hub.models import Event

    now = utcnow()
    rows = [
        {
            "connection_id": connection_id,
            "external_id": uuid.uuid4().hex,
            "name": f"trigger_{n // 10 % RECIPES}" if n % 10 == 0 else "page_viewed",
            "profile_id": people[n * 7919 % len(people)],
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


def run_engine(app: Any, connection_id: int, people: list[int], events: int, chunk: int) -> float:
    from hub.db import db
    from recipes.engine.engine import evaluate

    busy = 0.0
    for start in range(0, events, chunk):
        ids = store(app, connection_id, people, min(chunk, events - start), start)
        clock = time.perf_counter()
        with app.app_context():
            evaluate(db.session, ids)
        busy += time.perf_counter() - clock
    return busy


def run_baseline(
    app: Any, redis_url: str, connection_id: int, people: list[int], events: int, chunk: int
) -> float:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from hub.runtime.jobs import adopt_worker_app

    adopt_worker_app(app)
    redis = Redis.from_url(redis_url)
    queue = Queue("bench", connection=redis)
    busy = 0.0
    for start in range(0, events, chunk):
        ids = store(app, connection_id, people, min(chunk, events - start), start)
        clock = time.perf_counter()
        for event_id in ids:
            queue.enqueue("recipes.evaluate.evaluate_events", [event_id])
        SimpleWorker([queue], connection=redis).work(burst=True, logging_level="WARNING")
        busy += time.perf_counter() - clock
    return busy


def p95_ms(app: Any, since_id: int, until_id: int) -> float:
    from hub.db import db
    from hub.models import Event, Invite

    with app.app_context():
        waits = db.session.execute(
            sa.select(Invite.created_at, Event.received_at)
            .join(Event, Event.id == Invite.event_id)
            .where(Event.id >= since_id, Event.id <= until_id)
        ).all()
    if len(waits) < 2:
        return 0.0
    return statistics.quantiles([(i - e).total_seconds() * 1000 for i, e in waits], n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 events and a 1,000-event baseline")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000, help="events per ingest commit (one job)")
    parser.add_argument("--baseline-events", type=int, default=5000)
    args = parser.parse_args()
    if args.quick:
        args.events, args.baseline_events = 10_000, 1000
    postgres, redis = start_postgres(), start_redis()
    try:
        admin = sa.create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        app = make_app(postgres.url("bench"))
        connection_id, people = seed(app)
        first = store(app, connection_id, people[BASELINE_PEOPLE:], 1, 1)[0]
        engine_s = run_engine(app, connection_id, people[BASELINE_PEOPLE:], args.events, args.chunk)
        last = first + args.events
        engine_p95 = p95_ms(app, first + 1, last)
        baseline_s = run_baseline(
            app, redis.url, connection_id, people[:BASELINE_PEOPLE], args.baseline_events, args.chunk
        )
        baseline_p95 = p95_ms(app, last + 1, last + args.baseline_events)
        invites = count_invites(app)
    finally:
        redis.stop()
        postgres.stop()
    engine_rate, baseline_rate = args.events / engine_s, args.baseline_events / baseline_s
    print(f"{'mode':<28}{'events':>10}{'events/s/worker':>18}{'p95 stored->invite ms':>24}")
    print(f"{'engine (batched jobs)':<28}{args.events:>10}{engine_rate:>18,.0f}{engine_p95:>24,.0f}")
    print(
        f"{'baseline (RQ job per event)':<28}{args.baseline_events:>10}{baseline_rate:>18,.0f}{baseline_p95:>24,.0f}"
    )
    print(f"invites made: {invites}; {RECIPES} recipes; chunk {args.chunk} events per job")
    figures = {
        "bench": "engine",
        "events_per_s": round(engine_rate),
        "p95_ms": round(engine_p95),
        "baseline_events_per_s": round(baseline_rate),
        "baseline_p95_ms": round(baseline_p95),
        "vs_baseline": round(engine_rate / baseline_rate, 1),
    }
    print(json.dumps(figures))


def count_invites(app: Any) -> int:
    from hub.db import db
    from hub.models import Invite

    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Invite)) or 0)


if __name__ == "__main__":
    main()
