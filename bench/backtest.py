"""Backtest over 1,000,000 stored events on PostgreSQL: time, and proof that nothing was written.

Stores a million `trial_expired` events over the last 30 days for 50,000 people (the
worst case: every one of them goes through the recipe's steps), then backtests a recipe with
conditions, a screener, 50% sampling, a daily budget and the default cap across campaigns
over those 30 days. The baseline reads the same events and traits the same way and drops
each: the ratio is what the engine's steps and the simulated caps add to reading the events
at all. Beside the time, the CPU this process and PostgreSQL spent, which a busy shared
machine does not inflate. Last line: one JSON object.

    python bench/backtest.py [--quick] [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cpu  # noqa: E402
from tests.servers import start_postgres  # noqa: E402

PEOPLE = 50_000
DAYS = 30
WRITTEN = ("decisions", "invites", "cap_claims", "evaluated_events", "outbox", "runs")
SEED_EVENTS = """
INSERT INTO events (connection_id, external_id, name, profile_id, properties, occurred_at, received_at)
SELECT :connection, 'e' || n, 'trial_expired', :first_person + n % :people,
       jsonb_build_object('cart_value', n % 100, 'path', '/pricing'),
       now() - (n * :spread) * interval '1 second', now()
FROM generate_series(1, :events) AS n
"""


def seed(app: Any, events: int) -> int:
    """The people, the events and the recipe; answers the recipe's id."""
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
        people = [{"traits": {"plan": ("pro", "team", "free")[n % 3]}} for n in range(PEOPLE)]
        first = min(r[0] for r in db.session.execute(sa.insert(Profile).returning(Profile.id), people))
        db.session.flush()
        spread = DAYS * 86400 / events * 0.99
        params = {"connection": connection.id, "first_person": first, "people": PEOPLE, "events": events}
        db.session.execute(sa.text(SEED_EVENTS), {**params, "spread": spread})
        db.session.commit()
        db.session.execute(sa.text("ANALYZE events"))
        body = {"name": "bench", "interview_url": "https://example.com/i", "channel": "webhook"}
        campaign = save_campaign(CampaignIn.model_validate(body))
        recipe = {
            "name": "Trial expired without converting",
            "trigger": {"type": "event", "event": "trial_expired"},
            "conditions": {"all": [{"field": "properties.cart_value", "op": "gt", "value": 20}]},
            "screener": {"any": [{"field": "traits.plan", "op": "in", "value": ["pro", "team"]}]},
            "sample_percent": 50,
            "caps": {"daily_budget": 500},
            "campaign_id": campaign.id,
        }
        return save_recipe(RecipeIn.model_validate(recipe)).id


def measured(postgres: Any, work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(seconds, CPU seconds of this process and PostgreSQL, what `work` answered)."""
    spent = -time.process_time() - cpu.seconds(*cpu.postgres_pids(postgres))
    clock = time.perf_counter()
    answer = work()
    elapsed = time.perf_counter() - clock
    spent += time.process_time() + cpu.seconds(*cpu.postgres_pids(postgres))
    return elapsed, spent, answer


def stream_only(app: Any, recipe_id: int) -> int:
    """The baseline: the backtest's own reading (events in event time, each person's traits),
    every event dropped as read: what the steps and the simulated caps add is the difference."""
    from hub.db import db, utcnow
    from hub.models import Recipe
    from recipes.engine.backtest import fired

    with app.app_context():
        recipe = db.session.get(Recipe, recipe_id)
        assert recipe is not None
        now = utcnow()
        read = sum(1 for _ in fired(db.session, recipe, now - timedelta(days=DAYS), now))
        db.session.rollback()
        return read


def written(app: Any) -> dict[str, int]:
    from hub.db import db

    with app.app_context():
        return {t: int(db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0) for t in WRITTEN}  # noqa: S608


def run_backtest(app: Any, recipe_id: int) -> dict[str, Any]:
    from hub.db import db
    from hub.models import Recipe
    from recipes.engine.backtest import backtest

    with app.app_context():
        recipe = db.session.get(Recipe, recipe_id)
        assert recipe is not None
        answer = backtest(db.session, recipe, DAYS)
        db.session.rollback()
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events")
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.quick:
        args.events = 100_000
    postgres = start_postgres()
    try:
        admin = sa.create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        from hub.app import create_app

        home = tempfile.mkdtemp(prefix="journeyhub-bench-")
        app = create_app(
            {
                "JOURNEYHUB_HOME": home,
                "DATABASE_URL": postgres.url("bench"),
                "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
            }
        )
        clock = time.perf_counter()
        recipe_id = seed(app, args.events)
        print(f"stored {args.events:,} events in {time.perf_counter() - clock:.1f} s")
        baseline_s, baseline_cpu, _ = measured(postgres, lambda: stream_only(app, recipe_id))
        before = written(app)
        backtest_s, backtest_cpu, answer = measured(postgres, lambda: run_backtest(app, recipe_id))
        after = written(app)
    finally:
        postgres.stop()
    changed = {t: after[t] - before[t] for t in WRITTEN if after[t] != before[t]}
    print(f"{'mode':<34}{'events':>11}{'seconds':>10}{'events/s':>11}{'CPU s':>8}")
    for name, seconds, spent in (
        ("backtest (steps + caps in memory)", backtest_s, backtest_cpu),
        ("baseline (read the events only)", baseline_s, baseline_cpu),
    ):
        print(f"{name:<34}{args.events:>11,}{seconds:>10.1f}{args.events / seconds:>11,.0f}{spent:>8.1f}")
    print(
        f"invites {answer['invites']:,} over {len(answer['per_day'])} days; held back {answer['held_back']}"
    )
    print(f"rows written: {sum(changed.values())} {changed or ''}; CPU: this process + PostgreSQL")
    figures = {
        "bench": "backtest",
        "events": args.events,
        "seconds": round(backtest_s, 1),
        "cpu_seconds": round(backtest_cpu, 1),
        "baseline_seconds": round(baseline_s, 1),
        "baseline_cpu_seconds": round(baseline_cpu, 1),
        "rows_written": sum(changed.values()),
        "vs_baseline": round(backtest_s / baseline_s, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
