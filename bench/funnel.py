"""The journey funnel on PostgreSQL: a 6-stage funnel over 1,000,000 and 10,000,000 stored events.

Starts a real PostgreSQL on loopback, writes 500,000 profiles (each with a plan) and the
events straight in the database with generate_series (not through the API): in each round
40% of the people start the journey and go a random depth into it (a few skip a stage), a
checkout carries a cart value the funnel's condition reads, and page views fill up to the
event count. Then times the funnel as the API runs it (one statement), plain and segmented
by traits.plan, the median of three runs each, in wall seconds and in the CPU seconds the
PostgreSQL backend spent (read from /proc: on a shared machine the wall time mostly measures
the neighbours). The baseline is the funnel computed in Python from the stage events loaded
into it (what the one statement replaces), on every tenth person and scaled by ten, in this
process; its counts are checked against the statement's.

    python bench/funnel.py [--quick] [--profiles 500000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import start_postgres  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STAGES = ["visited", "signed_up", "activated", "trial_started", "checkout", "paid"]
DEPTH = (0.7, 0.45, 0.3, 0.2, 0.12)
"""Share of the people starting a round who reach stage 2, 3, … (before the checkout condition)."""
SAMPLE = 10
GOALS_S = {1_000_000: 2.0, 10_000_000: 15.0}


def journey() -> Any:
    from recipes.journeys.schema import JourneyIn

    stages: list[dict[str, Any]] = [{"name": name, "event": name} for name in STAGES]
    stages[4]["conditions"] = {"field": "properties.cart_value", "op": "gt", "value": 10}
    for stage, rate in zip(stages[1:], (0.7, 0.6, 0.7, 0.6, 0.7), strict=True):
        stage["intended_rate"] = rate
    return JourneyIn.model_validate({"name": "bench", "window_days": 14, "stages": stages})


def load(engine: sa.Engine, profiles: int, events: int) -> float:
    """Writes the people and events in the database itself; answers the seconds it took."""
    clock = time.perf_counter()
    rounds = max(1, events // 1_000_000)
    depth = " + ".join(f"(u < {share})::int" for share in DEPTH)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT setseed(0.42)"))
        conn.execute(
            sa.text(
                "INSERT INTO connections (connector, name, config_encrypted, status, created_at, updated_at) VALUES ('generic', 'bench', '', 'ok', now(), now())"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO profiles (id, traits, created_at, updated_at) SELECT g, "
                "jsonb_build_object('plan', (ARRAY['free','pro','team','enterprise'])[1 + g % 4]), now(), now() "
                "FROM generate_series(1, :n) g"
            ),
            {"n": profiles},
        )
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('profiles', 'id'), :n)"), {"n": profiles})
        stored = conn.execute(
            sa.text(
                f"""
                WITH starts AS (
                  SELECT r, p, random() AS u, random() AS skip, (random() * 5)::int AS skipped,
                         :t0 + make_interval(days => (r - 1) * 30 + (random() * 27)::int,
                                             mins => (random() * 1440)::int) AS base
                  FROM generate_series(1, :rounds) r, generate_series(1, :profiles) p
                  WHERE random() < 0.4
                )
                INSERT INTO events (connection_id, external_id, name, profile_id, properties, occurred_at, received_at)
                SELECT 1, 's' || r || '-' || p || '-' || j, (ARRAY{STAGES!r})[j], p,
                       CASE WHEN j = 5 THEN jsonb_build_object('cart_value', (random() * 100)::int) ELSE '{{}}' END,
                       base + make_interval(hours => j * (1 + (random() * 30)::int)), now()
                FROM starts, generate_series(1, 6) j
                WHERE j <= 1 + {depth} AND NOT (skip < 0.05 AND j = 2 + skipped)
                """  # noqa: S608 - built from this file's constants, no input
            ),
            {"t0": T0, "rounds": rounds, "profiles": profiles},
        ).rowcount
        conn.execute(
            sa.text(
                "INSERT INTO events (connection_id, external_id, name, profile_id, properties, occurred_at, received_at) "
                "SELECT 1, 'v' || g, 'page_viewed', 1 + (random() * (:profiles - 1))::int, '{}', "
                ":t0 + make_interval(secs => random() * :span), now() FROM generate_series(1, :n) g"
            ),
            {"t0": T0, "profiles": profiles, "span": rounds * 30 * 86400.0, "n": max(0, events - stored)},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE events"))
        conn.execute(sa.text("VACUUM ANALYZE profiles"))
    return time.perf_counter() - clock


def cpu_s(pid: int) -> float:
    """User and system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(session: Session, run: Callable[[], Any], times: int = 3) -> tuple[float, float, Any]:
    """Median wall seconds, median CPU seconds of the database backend, and the last answer."""
    backend = int(session.scalar(sa.text("SELECT pg_backend_pid()")) or 0)
    seconds, cpu, answer = [], [], None
    for _ in range(times):
        clock, used = time.perf_counter(), cpu_s(backend)
        answer = run()
        seconds.append(time.perf_counter() - clock)
        cpu.append(cpu_s(backend) - used)
        session.rollback()
    return statistics.median(seconds), statistics.median(cpu), answer


def python_funnel(session: Session, spec: Any, until: datetime, sample: int) -> list[int]:
    """The baseline: stage events of every `sample`-th person loaded into Python, walked in order."""
    from hub.models import Event

    names = [stage.event for stage in spec.stages]
    rows = session.execute(
        sa.select(Event.profile_id, Event.name, Event.occurred_at, Event.properties)
        .where(Event.name.in_(names), Event.occurred_at < until + timedelta(days=spec.window_days))
        .where(Event.profile_id % sample == 0)
        .order_by(Event.profile_id, Event.occurred_at)
    )
    window = timedelta(days=spec.window_days)
    entered = [0] * len(names)
    person, moments = None, []
    for pid, name, at, properties in [*rows, (None, None, None, None)]:
        if pid != person and moments:
            _walk(moments, names, window, until, entered)
            moments = []
        person = pid
        if name == "checkout" and not properties.get("cart_value", 0) > 10:
            continue
        moments.append((name, at))
    return entered


def _walk(
    moments: list[tuple[str, datetime]],
    names: list[str],
    window: timedelta,
    until: datetime,
    entered: list[int],
) -> None:
    starts = [at for name, at in moments if name == names[0] and at < until]
    if not starts:
        return
    reached = starts[0]
    entered[0] += 1
    for number, name in enumerate(names[1:], 1):
        later = [at for n, at in moments if n == name and reached <= at <= starts[0] + window]
        if not later:
            return
        reached = later[0]
        entered[number] += 1


def run_case(engine: sa.Engine, events: int, profiles: int) -> dict[str, Any]:
    from hub.migrate import upgrade
    from recipes.journeys.funnel import measure

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(engine)
    load_s = load(engine, profiles, events)
    spec = journey()
    until = T0 + timedelta(days=400)
    with Session(engine) as session:
        stored = session.scalar(sa.text("SELECT count(*) FROM events"))
        plain_s, plain_cpu, plain = timed(session, lambda: measure(session, spec, None, until))
        segmented_s, segmented_cpu, segmented = timed(
            session, lambda: measure(session, spec, None, until, "traits.plan")
        )
        clock = time.perf_counter()
        sampled = python_funnel(session, spec, until, SAMPLE)
        baseline_s = (time.perf_counter() - clock) * SAMPLE
    exact = [s.entered for s in plain.stages]
    close = all(abs(a * SAMPLE - b) <= max(50, 0.05 * b) for a, b in zip(sampled, exact, strict=True))
    return {
        "events": stored,
        "size": events,
        "load_s": round(load_s, 1),
        "funnel_s": round(plain_s, 3),
        "funnel_cpu_s": round(plain_cpu, 3),
        "segmented_s": round(segmented_s, 3),
        "segmented_cpu_s": round(segmented_cpu, 3),
        "baseline_s": round(baseline_s, 3),
        "vs_baseline": round(baseline_s / plain_s, 1),
        "entered": exact,
        "segments": len(segmented.segments),
        "baseline_agrees": close,
        "goal_s": GOALS_S.get(events),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000,000 events only")
    parser.add_argument("--profiles", type=int, default=500_000)
    args = parser.parse_args()
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    postgres = start_postgres()
    try:
        admin = sa.create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        engine = sa.create_engine(postgres.url("bench"))
        cases = [run_case(engine, size, args.profiles) for size in sizes]
        engine.dispose()
    finally:
        postgres.stop()
    print(
        f"{'events':>12}{'load s':>9}{'funnel s':>10}{'(cpu)':>7}{'segmented s':>13}{'(cpu)':>7}{'baseline s':>12}{'ratio':>7}{'goal s':>8}"
    )
    for case in cases:
        print(
            f"{case['events']:>12,}{case['load_s']:>9}{case['funnel_s']:>10}{case['funnel_cpu_s']:>7}"
            f"{case['segmented_s']:>13}{case['segmented_cpu_s']:>7}{case['baseline_s']:>12}"
            f"{case['vs_baseline']:>7}{case['goal_s']:>8}"
        )
    print(
        f"entered per stage: {[c['entered'] for c in cases]}; baseline agrees: {[c['baseline_agrees'] for c in cases]}"
    )
    figures: dict[str, Any] = {"bench": "funnel", "profiles": args.profiles, "stages": len(STAGES)}
    for case in cases:
        size = f"{case['size'] // 1_000_000}m"
        figures |= {
            f"funnel_s_{size}": case["funnel_s"],
            f"funnel_cpu_s_{size}": case["funnel_cpu_s"],
            f"segmented_s_{size}": case["segmented_s"],
            f"segmented_cpu_s_{size}": case["segmented_cpu_s"],
            f"baseline_s_{size}": case["baseline_s"],
        }
    figures["vs_baseline"] = cases[0]["vs_baseline"]
    figures["baseline_agrees"] = all(c["baseline_agrees"] for c in cases)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
