"""Ingest throughput: /v1/batch and /v1/track under gunicorn on PostgreSQL, against a bare Flask baseline.

Starts a real PostgreSQL and Redis on loopback, serves `wsgi:app` and `bench.bare_app:app`
with the same gunicorn settings, drives each with a bounded number of requests from several
concurrent clients, then counts what was stored. Prints a table and, last, one JSON line.

    python bench/ingest.py [--quick] [--clients 8] [--batch-size 100] [--workers 4]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, start_postgres, start_redis  # noqa: E402


@dataclass
class Result:
    name: str
    requests: int
    events: int
    seconds: float
    latencies_ms: list[float]
    failures: int

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def serve(target: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/healthz", timeout=5)
            return process, url
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{target} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def batch_body(size: int, users: int) -> bytes:
    messages = [
        {
            "type": "track",
            "messageId": uuid.uuid4().hex,
            "userId": f"user-{uuid.uuid4().int % users}",
            "event": "Checkout Started",
            "properties": {"cart_value": 42.5, "items": 3},
            "timestamp": "2026-11-23T10:00:00Z",
        }
        for _ in range(size)
    ]
    return json.dumps({"batch": messages}).encode()


def track_body(users: int) -> bytes:
    return json.dumps(
        {
            "messageId": uuid.uuid4().hex,
            "userId": f"user-{uuid.uuid4().int % users}",
            "event": "Trial Expired",
            "properties": {"plan": "pro"},
        }
    ).encode()


def drive(
    name: str, url: str, path: str, bodies: list[bytes], per_body: int, clients: int, auth: str
) -> Result:
    headers = {"Content-Type": "application/json", "Authorization": auth}
    sessions = [requests.Session() for _ in range(clients)]

    def send(index: int) -> tuple[float, bool]:
        started = time.perf_counter()
        response = sessions[index % clients].post(url + path, data=bodies[index], headers=headers, timeout=60)
        return (time.perf_counter() - started) * 1000, response.status_code == 200

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(send, range(len(bodies))))
    seconds = time.perf_counter() - started
    ok = sum(1 for _, good in outcomes if good)
    return Result(name, len(bodies), ok * per_body, seconds, [ms for ms, _ in outcomes], len(bodies) - ok)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    batches = 60 if args.quick else 300
    tracks = 300 if args.quick else 2000
    users = 5000

    postgres, redis = start_postgres(), start_redis()
    try:
        admin = sa.create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        home = Path(tempfile.mkdtemp(prefix="journeyhub-bench-"))
        env = {
            **os.environ,
            "DATABASE_URL": postgres.url("bench"),
            "REDIS_URL": redis.url,
            "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
            "JOURNEYHUB_HOME": str(home),
            "JOURNEYHUB_LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        from hub.app import create_app
        from hub.connections import create_connection
        from hub.db import db
        from hub.migrate import upgrade

        app = create_app()
        with app.app_context():
            upgrade(db.engine)
            created = create_connection("tracking", "bench", {})
            db.session.commit()
            write_key, connection_id = created.generated["write_key"], created.connection.id
        auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()

        results: list[Result] = []
        for name, target in (("bare flask", "bench.bare_app:app"), ("journeyhub", "wsgi:app")):
            process, url = serve(target, env, args.workers)
            try:
                results.append(
                    drive(
                        f"{name} /v1/batch",
                        url,
                        "/v1/batch",
                        [batch_body(args.batch_size, users) for _ in range(batches)],
                        args.batch_size,
                        args.clients,
                        auth,
                    )
                )
                results.append(
                    drive(
                        f"{name} /v1/track",
                        url,
                        "/v1/track",
                        [track_body(users) for _ in range(tracks)],
                        1,
                        args.clients,
                        auth,
                    )
                )
            finally:
                stop(process)

        with app.app_context():
            stored = db.session.execute(
                sa.text("SELECT count(*) FROM events WHERE connection_id = :c"), {"c": connection_id}
            ).scalar_one()
        sent = (batches * args.batch_size) + tracks
        bare_batch, bare_track, hub_batch, hub_track = results

        print(
            f"{'case':<26}{'requests':>9}{'events/s':>11}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}"
        )
        for r in results:
            print(
                f"{r.name:<26}{r.requests:>9}{r.events_per_s:>11.0f}{r.requests_per_s:>9.0f}"
                f"{statistics.median(r.latencies_ms):>9.1f}{r.percentile(0.99):>9.1f}{r.failures:>8}"
            )
        print(f"events sent {sent}, stored {stored}, lost {sent - stored}")
        print(
            json.dumps(
                {
                    "bench": "ingest",
                    "events_per_s": round(hub_batch.events_per_s),
                    "p50_ms": round(statistics.median(hub_batch.latencies_ms), 1),
                    "p99_ms": round(hub_batch.percentile(0.99), 1),
                    "track_events_per_s": round(hub_track.events_per_s),
                    "track_p99_ms": round(hub_track.percentile(0.99), 1),
                    "lost": sent - stored,
                    "vs_baseline": round(hub_batch.requests_per_s / bare_batch.requests_per_s, 3),
                    "track_vs_baseline": round(hub_track.requests_per_s / bare_track.requests_per_s, 3),
                }
            )
        )
    finally:
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
