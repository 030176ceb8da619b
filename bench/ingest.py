"""Ingest throughput: /v1/batch and /v1/track under gunicorn, against a bare Flask baseline.

Starts a real PostgreSQL and Redis on loopback and serves, one after the other and with the
same gunicorn settings, a bare Flask endpoint (the baseline: what server and client can do
at all), journeyhub on PostgreSQL with Redis, and journeyhub as the embedded default
(SQLite in its home folder, in-process jobs). Each is driven by the same closed-loop clients
(bench/load.py), then the stored events are counted. Prints a table and, last, one JSON line.

    python bench/ingest.py [--quick] [--clients 8] [--client-processes 2] [--batch-size 100] [--workers 4]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import Result, drive, process_cpu_seconds  # noqa: E402
from tests.servers import free_port, start_postgres, start_redis  # noqa: E402

USERS = 5000


@dataclass
class Target:
    """One server to measure; `env` holds what differs from the shared environment."""

    label: str
    app: str
    env: dict[str, str]
    db_pids: tuple[int, ...] = ()
    auth: str = ""
    connection_id: int = 0
    sent: int = 0
    stored: int = 0


def serve(
    target: str, env: dict[str, str], workers: int, threads: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads)]
    argv += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", target]
    process = subprocess.Popen(argv, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")  # any answer means it is up (the bare app has none)
            connection.getresponse().read()
            return process, url
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    process.kill()
    raise SystemExit(f"{target} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def batch_body(size: int) -> bytes:
    messages = [
        {
            "type": "track",
            "messageId": uuid.uuid4().hex,
            "userId": f"user-{uuid.uuid4().int % USERS}",
            "event": "Checkout Started",
            "properties": {"cart_value": 42.5, "items": 3},
            "timestamp": "2026-11-23T10:00:00Z",
        }
        for _ in range(size)
    ]
    return json.dumps({"batch": messages}).encode()


def track_body() -> bytes:
    return json.dumps(
        {
            "messageId": uuid.uuid4().hex,
            "userId": f"user-{uuid.uuid4().int % USERS}",
            "event": "Trial Expired",
            "properties": {"plan": "pro"},
        }
    ).encode()


def postmaster(folder: Path) -> int:
    return int((folder / "data" / "postmaster.pid").read_text().split()[0])


def prepare(target: Target, env: dict[str, str]) -> None:
    """Migrates the target's database and creates the tracking connection the clients write to."""
    from hub.app import create_app
    from hub.connections import create_connection
    from hub.db import db
    from hub.migrate import upgrade

    app = create_app({k: v for k, v in env.items() if k.startswith(("DATABASE_", "REDIS_", "JOURNEYHUB_"))})
    with app.app_context():
        upgrade(db.engine)
        created = create_connection("tracking", f"bench-{target.label}", {})
        db.session.commit()
        target.connection_id = created.connection.id
        write_key = created.generated["write_key"]
        db.engine.dispose()
    target.auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()


def count_stored(target: Target, env: dict[str, str]) -> int:
    from hub.app import create_app
    from hub.db import db

    app = create_app({k: v for k, v in env.items() if k.startswith(("DATABASE_", "REDIS_", "JOURNEYHUB_"))})
    with app.app_context():
        query = sa.text("SELECT count(*) FROM events WHERE connection_id = :c")
        stored = int(db.session.execute(query, {"c": target.connection_id}).scalar_one())
        db.engine.dispose()
    return stored


def measure(target: Target, env: dict[str, str], args: argparse.Namespace) -> list[Result]:
    batches, tracks = (100, 1000) if args.quick else (400, 4000)
    headers = {"Content-Type": "application/json", "Authorization": target.auth}
    options: dict[str, Any] = {
        "clients": args.clients,
        "processes": args.client_processes,
        "headers": headers,
    }
    process, url = serve(target.app, env, args.workers, args.threads)
    try:
        drive("warm-up", url, "/v1/track", [track_body() for _ in range(4 * args.clients)], 1, **options)
        results = []
        for path, bodies, per_body in (
            ("/v1/batch", [batch_body(args.batch_size) for _ in range(batches)], args.batch_size),
            ("/v1/track", [track_body() for _ in range(tracks)], 1),
        ):
            app_before, db_before = (
                process_cpu_seconds([process.pid]),
                process_cpu_seconds(list(target.db_pids)),
            )
            result = drive(f"{target.label} {path}", url, path, bodies, per_body, **options)
            result.app_cpu_s = process_cpu_seconds([process.pid]) - app_before
            result.db_cpu_s = process_cpu_seconds(list(target.db_pids)) - db_before
            results.append(result)
    finally:
        stop(process)
    target.sent = 4 * args.clients + batches * args.batch_size + tracks
    return results


def report(bare: list[Result], hubs: dict[str, tuple[Target, list[Result]]], load: list[float]) -> None:
    rows = bare + [r for _, results in hubs.values() for r in results]
    print(f"{'case':<22}{'requests':>9}{'events/s':>10}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}", end="")
    print(f"{'failed':>7}{'client cores':>13}{'cpu ms/req: app':>16}{'db':>6}")
    for r in rows:
        print(f"{r.name:<22}{r.requests:>9}{r.events_per_s:>10.0f}{r.requests_per_s:>8.0f}", end="")
        print(f"{r.p50:>8.1f}{r.p99:>8.1f}{r.failures:>7}{r.client_cores:>13.2f}", end="")
        print(f"{r.cpu_ms(r.app_cpu_s):>16.2f}{r.cpu_ms(r.db_cpu_s):>6.2f}")
    for label, (target, _) in hubs.items():
        print(
            f"{label}: events sent {target.sent}, stored {target.stored}, lost {target.sent - target.stored}"
        )
    (pg, (pg_batch, pg_track)), (lite, (lite_batch, lite_track)) = hubs["postgres"], hubs["sqlite"]
    summary = {
        "bench": "ingest",
        "events_per_s": round(pg_batch.events_per_s),
        "p50_ms": round(pg_batch.p50, 1),
        "p99_ms": round(pg_batch.p99, 1),
        "track_events_per_s": round(pg_track.events_per_s),
        "track_p99_ms": round(pg_track.p99, 1),
        "lost": (pg.sent - pg.stored) + (lite.sent - lite.stored),
        "vs_baseline": round(pg_batch.requests_per_s / bare[0].requests_per_s, 3),
        "track_vs_baseline": round(pg_track.requests_per_s / bare[1].requests_per_s, 3),
        "baseline_requests_per_s": round(bare[1].requests_per_s),
        "client_cores_max": round(max(r.client_cores for r in rows), 2),
        # CPU per request moves far less than the rates when others share the machine
        "track_cpu_ms": round(pg_track.cpu_ms(pg_track.app_cpu_s + pg_track.db_cpu_s), 2),
        "batch_cpu_ms": round(pg_batch.cpu_ms(pg_batch.app_cpu_s + pg_batch.db_cpu_s), 2),
        "load_average": [round(x, 2) for x in load],
        "sqlite": {
            "events_per_s": round(lite_batch.events_per_s),
            "p99_ms": round(lite_batch.p99, 1),
            "track_events_per_s": round(lite_track.events_per_s),
            "track_p99_ms": round(lite_track.p99, 1),
            "lost": lite.sent - lite.stored,
            "vs_baseline": round(lite_batch.requests_per_s / bare[0].requests_per_s, 3),
            "track_vs_baseline": round(lite_track.requests_per_s / bare[1].requests_per_s, 3),
            "track_cpu_ms": round(lite_track.cpu_ms(lite_track.app_cpu_s), 2),
        },
    }
    print(f"load average (1 min) at start and end: {load[0]:.2f}, {load[1]:.2f}")
    print(json.dumps(summary))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer requests: ends within a minute")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the clients share")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()

    load = [os.getloadavg()[0]]  # the machine is shared: what else ran is part of the figures
    postgres, redis = start_postgres(), start_redis()
    try:
        admin = sa.create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        home = Path(tempfile.mkdtemp(prefix="journeyhub-bench-"))
        shared = {
            **os.environ,
            "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
            "JOURNEYHUB_LOG_LEVEL": "WARNING",
            "DATABASE_URL": "",
            "REDIS_URL": "",
        }
        bare_env = {**shared, "JOURNEYHUB_HOME": str(home / "bare")}
        bare = measure(Target("bare flask", "bench.bare_app:app", {}), bare_env, args)
        hubs: dict[str, tuple[Target, list[Result]]] = {}
        for target in (
            Target(
                "postgres",
                "wsgi:app",
                {"DATABASE_URL": postgres.url("bench"), "REDIS_URL": redis.url},
                db_pids=(postmaster(postgres.folder), redis.process.pid),
            ),
            Target("sqlite", "wsgi:app", {}),  # the embedded default: no database or Redis configured
        ):
            env = {**shared, "JOURNEYHUB_HOME": str(home / target.label), **target.env}
            prepare(target, env)
            results = measure(target, env, args)
            target.stored = count_stored(target, env)
            hubs[target.label] = (target, results)
        report(bare, hubs, [*load, os.getloadavg()[0]])
    finally:
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
