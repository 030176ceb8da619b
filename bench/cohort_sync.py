"""Cohort sync at scale: a first sync and a re-sync with churn, pulled over HTTP from a fake.

Starts a real PostgreSQL and Redis on loopback (evaluation jobs are queued to RQ, as in
production, and not run here), and the source's fake in a process of its own, serving a
cohort of 100k and 1M generated members. Each sync runs in a fresh process, so its peak RSS
is its own: a first sync into an empty database, then the fake moves 2% of the members out
and as many new ones in, and a re-sync. The naive baseline (`bench/cohort_naive.py`: the same
pages, every row through the ORM) syncs the 100k cohort into a database of its own; the
ratio is members/s against it. `--quick` runs the 100k case with a 2k baseline.

    python bench/cohort_sync.py [--quick] [--source mixpanel] [--sizes 100000,1000000] [--churn 0.02]

Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import start_postgres, start_redis  # noqa: E402

GOAL_S, GOAL_MB = 30.0, 300.0
QUICK_NAIVE = 2_000
"""Row by row is slow enough that --quick measures the baseline's rate on a small cohort."""


@dataclass
class Fake:
    """The source's fake in its own process; commands go in on stdin, answers come back as JSON lines."""

    process: subprocess.Popen[str]
    credentials: dict[str, str]
    source_ref: str

    @classmethod
    def start(cls, source: str, members: int) -> Fake:
        argv = [sys.executable, __file__, "--role", "fake", "--source", source, "--sizes", str(members)]
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        return cls(process, hello["credentials"], hello["source_ref"])

    def ask(self, command: str) -> dict[str, Any]:
        self.process.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        return json.loads(self.process.stdout.readline())  # type: ignore[union-attr,no-any-return]

    def measure(self, role: str, url: str, redis_url: str, key: str, cohort_id: int) -> dict[str, Any]:
        """A sync in a process of its own, with the CPU time the fake spent serving it."""
        before = cpu_seconds(self.process.pid)
        figures = run_child(role, url, redis_url, key, cohort_id)
        return figures | {"fake_cpu_s": cpu_seconds(self.process.pid) - before}

    def stop(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(timeout=60)


def serve_fake(source: str, members: int) -> None:
    """The fake's process: serves until stdin closes; `churn F` moves a share F of the cohort."""
    from connectors.registry import get_connector

    fake = get_connector(source).fake(members=members, seed=7)
    assert fake is not None
    ref = fake.source_ref(0)
    print(json.dumps({"credentials": fake.credentials, "source_ref": ref}), flush=True)
    for line in sys.stdin:
        share = float(line.split()[1])
        every = max(1, round(1 / share))
        leaving = [fake.member_id(i) for i in range(every // 2, members, every)]
        for member_id in leaving:
            fake.remove_member(ref, member_id)
        for _ in leaving:
            fake.add_member(ref)
        print(
            json.dumps({"left": len(leaving), "joined": len(leaving), "members": fake.population.count(0)}),
            flush=True,
        )
    fake.stop()


def run_child(role: str, url: str, redis_url: str, key: str, cohort_id: int) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--role", role, "--database", url, "--redis", redis_url]
    argv += ["--key", key, "--cohort", str(cohort_id)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{role} failed:\n{done.stderr[-3000:]}")
    figures = [line for line in done.stdout.splitlines() if line.startswith("{")][-1]
    return json.loads(figures)  # type: ignore[no-any-return]


def sync_in_this_process(role: str, url: str, redis_url: str, key: str, cohort_id: int) -> None:
    """One sync, measured from inside: wall and CPU time, peak RSS, the CPU time of the
    PostgreSQL backends it used, and the run's own figures."""
    app = make_app(url, redis_url, key)
    backends: list[int] = []
    started, cpu = time.perf_counter(), time.process_time()
    with app.app_context():
        from hub.db import db

        sa.event.listen(db.engine, "connect", lambda dbapi, _: backends.append(dbapi.info.backend_pid))
        if role == "naive":
            from bench.cohort_naive import naive_sync

            stats = naive_sync(cohort_id)
        else:
            from hub.cohorts.sync import run_sync

            outcome = run_sync(cohort_id)
            assert outcome.status == "succeeded", outcome.error
            stats = outcome.stats
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        pg_cpu = sum(cpu_seconds(pid) for pid in backends)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "pg_cpu_s": pg_cpu, "peak_rss_mb": peak_mb, **stats}))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_app(url: str, redis_url: str, key: str) -> Any:
    from hub.app import create_app

    home = Path(tempfile.gettempdir()) / "journeyhub-bench-cohort"
    return create_app(
        {
            "JOURNEYHUB_HOME": str(home),
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "JOURNEYHUB_SECRET_KEY": key,
            "JOURNEYHUB_ALLOWED_HOSTS": "127.0.0.1",
        }
    )


def new_cohort(pg: Any, name: str, redis_url: str, key: str, source: str, fake: Fake) -> tuple[str, int]:
    """A migrated database of its own with one connection to the fake and one cohort on it."""
    from hub.cohorts.service import create_cohort
    from hub.connections import create_connection
    from hub.db import db
    from hub.migrate import upgrade

    admin = sa.create_engine(pg.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = pg.url(name)
    engine = sa.create_engine(url)
    upgrade(engine)
    engine.dispose()
    app = make_app(url, redis_url, key)
    with app.app_context():
        connection_id = create_connection(source, f"{source} bench", dict(fake.credentials)).connection.id
        cohort = create_cohort(connection_id, fake.source_ref, "Everyone")
        db.session.commit()
        cohort_id = cohort.id
        db.engine.dispose()
    return url, cohort_id


def stored_members(url: str, cohort_id: int) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(
            sa.text("SELECT count(*) FROM cohort_members WHERE cohort_id = :c"), {"c": cohort_id}
        )
    engine.dispose()
    return int(count or 0)


def measure(
    args: argparse.Namespace, pg: Any, redis_url: str, key: str, size: int, role: str
) -> list[dict[str, Any]]:
    """A first sync and a re-sync after churn of one cohort size, by `role` (sync, or naive)."""
    label = "naive " if role == "naive" else ""
    fake = Fake.start(args.source, size)
    try:
        url, cohort_id = new_cohort(pg, f"bench_{role}_{size}", redis_url, key, args.source, fake)
        first = {"case": f"{label}first", "size": size} | fake.measure(role, url, redis_url, key, cohort_id)
        churn = fake.ask(f"churn {args.churn}")
        again = {"case": f"{label}re-sync", "size": size} | fake.measure(role, url, redis_url, key, cohort_id)
    finally:
        fake.stop()
    stored = stored_members(url, cohort_id)
    if (stored, again["entered"], again["exited"]) != (churn["members"], churn["joined"], churn["left"]):
        raise SystemExit(f"{role} {size}: {stored} members stored, {churn} at the fake; re-sync {again}")
    for row in (first, again):
        row["members_per_s"] = row["members_seen"] / row["wall_s"]
    return [first, again]


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    load = os.getloadavg()[1]
    print(
        f"\ncohort sync: {args.source} fake over HTTP on loopback, PostgreSQL, {args.churn:.0%} churn re-sync "
        f"(load average {load:.1f} on {os.cpu_count()} CPUs; cpu s: the syncing process, pg cpu: its "
        "PostgreSQL backends, fake: the fake serving it)"
    )
    print(
        f"{'case':<14} {'members':>9} {'wall s':>7} {'members/s':>10} {'peak RSS MB':>11} "
        f"{'fetch s':>7} {'stage s':>7} {'diff s':>7} {'write s':>7} {'cpu s':>6} {'pg cpu':>6} {'fake':>6} "
        f"{'in':>7} {'out':>6}"
    )
    for row in rows:
        split = [
            f"{row[k]:7.2f}" if k in row else f"{'-':>7}" for k in ("fetch_s", "stage_s", "diff_s", "write_s")
        ]
        print(
            f"{row['case']:<14} {row['members_seen']:>9} {row['wall_s']:7.1f} {row['members_per_s']:10.0f} "
            f"{row['peak_rss_mb']:11.0f} {' '.join(split)} {row['cpu_s']:6.1f} {row['pg_cpu_s']:6.1f} "
            f"{row['fake_cpu_s']:6.1f} {row['entered']:>7} {row['exited']:>6}"
        )
    found = {(row["case"], row["size"]): row for row in rows}
    summary: dict[str, Any] = {
        "bench": "cohort_sync",
        "source": args.source,
        "churn": args.churn,
        "load": load,
    }
    for (case, size), row in found.items():
        label = f"{'resync' if 're-sync' in case else 'first'}_{size // 1000}k"
        if not case.startswith("naive"):
            summary[f"members_per_s_{label}"] = round(row["members_per_s"])
            summary[f"peak_rss_mb_{label}"] = round(row["peak_rss_mb"])
            summary[f"wall_s_{label}"] = round(row["wall_s"], 1)
            summary[f"cpu_s_{label}"] = round(row["cpu_s"] + row["pg_cpu_s"], 1)
    for case, name in (("first", "vs_baseline"), ("re-sync", "vs_baseline_resync")):
        naive = [row for (c, _), row in found.items() if c == f"naive {case}"]
        if not naive:
            continue
        size = (
            naive[0]["size"] if (case, naive[0]["size"]) in found else min(s for c, s in found if c == case)
        )
        ratio = found[(case, size)]["members_per_s"] / naive[0]["members_per_s"]
        summary[name] = round(ratio, 1)
        print(f"{case}: {ratio:.1f}x the members/s of the naive baseline ({naive[0]['size']} members)")
    largest = max(size for case, size in found if not case.startswith("naive"))
    met = all(
        found[(case, largest)]["wall_s"] < GOAL_S and found[(case, largest)]["peak_rss_mb"] < GOAL_MB
        for case in ("first", "re-sync")
    )
    summary["goal_met"] = met if largest >= 1_000_000 else None
    print(
        f"goal ({GOAL_S:.0f} s, {GOAL_MB:.0f} MB at 1M): "
        + (
            "not measured (--quick)"
            if largest < 1_000_000
            else ", ".join(
                f"{case} {found[(case, largest)]['wall_s']:.1f} s / {found[(case, largest)]['peak_rss_mb']:.0f} MB"
                for case in ("first", "re-sync")
            )
        )
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k only, with a 2k naive baseline")
    parser.add_argument("--source", default="mixpanel", help="a source connector with a fake")
    parser.add_argument("--sizes", help="comma-separated cohort sizes (default 100000,1000000)")
    parser.add_argument("--naive", type=int, help="cohort size of the naive baseline (0: none)")
    parser.add_argument("--churn", type=float, default=0.02)
    parser.add_argument(
        "--role", default="bench", choices=["bench", "fake", "sync", "naive"], help=argparse.SUPPRESS
    )
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--cohort", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "fake":
        serve_fake(args.source, int(args.sizes))
        return
    if args.role in ("sync", "naive"):
        sync_in_this_process(args.role, args.database, args.redis, args.key, args.cohort)
        return
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else [100_000]
        if args.quick
        else [100_000, 1_000_000]
    )
    naive = args.naive if args.naive is not None else (QUICK_NAIVE if args.quick else 100_000)
    pg, redis = start_postgres(), start_redis()
    key = Fernet.generate_key().decode()
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            rows += measure(args, pg, redis.url, key, size, "sync")
        if naive:
            rows += measure(args, pg, redis.url, key, naive, "naive")
    finally:
        redis.stop()
        pg.stop()
    print(json.dumps(report(rows, args)))


if __name__ == "__main__":
    main()
