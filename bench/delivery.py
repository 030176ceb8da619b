"""Invite delivery throughput: the outbox draining due invites over the webhook and SMTP channels.

Real PostgreSQL and Redis on loopback, real `journeyhub worker` processes (RQ), a webhook
receiver of its own (bench/sink.py) and the SMTP fake (`journeyhub fake email`), each in its
own process. For each channel, with one worker and with two: N due invites (10,000 webhook,
2,000 SMTP) are committed with their outbox rows in one transaction, as the engine writes
them, and the workers drain them; deliveries per second per worker run from that commit to
the last row marked sent.
Then events are stored at a steady pace through the whole path (ingest commit, the engine's
job, the outbox) and p95 is taken from each event stored to its invite delivered. The
baseline is the same delivery as one RQ job per row, in the same run.

    python bench/delivery.py [--quick] [--invites 10000] [--emails 2000] [--baseline 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.delivery_world import World, cpu_s
from hub.db import db, utcnow
from hub.models import Decision, Event, Invite, Outbox
from hub.runtime.jobs import job

PACE_PER_S, PACE_CHUNK = 40, 20
"""The latency phase: events stored 20 at a time (one ingest commit, one engine job), 40 a second."""


@job
def deliver_one(row_id: int) -> None:
    """The baseline: one RQ job per outbox row, the same claim, send and mark as the outbox."""
    from hub.outbox.outcomes import policy
    from hub.outbox.types import Item
    from hub.outbox.worker import deliver

    now, rules = utcnow(), policy()
    claimed = db.session.execute(
        sa.update(Outbox)
        .where(Outbox.id == row_id, Outbox.status == "pending")
        .values(attempts=Outbox.attempts + 1, claimed_by="baseline", claimed_until=now + timedelta(minutes=5))
        .returning(Outbox.kind, Outbox.target, Outbox.payload, Outbox.idempotency_key, Outbox.attempts)
    ).one()
    db.session.commit()
    item = Item(
        row_id,
        claimed.kind,
        claimed.target,
        claimed.payload,
        claimed.idempotency_key,
        claimed.attempts,
        False,
    )
    deliver(db.session, "baseline", [item], rules)


class Bench(World):
    """The measurements, each with its own workers."""

    def throughput(
        self, campaign_id: int, connection_id: int, count: int, workers: int
    ) -> tuple[float, float]:
        """(deliveries/s per worker, worker CPU ms per delivery): the CPU the workers and their
        work-horses used from the commit to the last row marked, which holds however busy the
        machine is."""
        running = self.workers(workers)
        try:
            before = cpu_s(running)
            invites, committed = self.due(campaign_id, connection_id, count)
            rate = count / (self.wait_sent(invites) - committed) / workers
            time.sleep(0.5)  # the last work-horses exit and are counted
            return rate, (cpu_s(running) - before) * 1000 / count
        finally:
            self.stop(running)

    def latency(self, connection_id: int, seconds: float, workers: int) -> list[float]:
        """ms from each event stored to its invite delivered, events stored at a steady pace."""
        from connectors.sdk import JourneyEvent
        from hub.inbound.store import commit_events

        running = self.workers(workers)
        try:
            stored: list[int] = []
            with self.app.app_context():
                start = time.monotonic()
                for n in range(int(seconds * PACE_PER_S / PACE_CHUNK)):
                    time.sleep(max(start + n * PACE_CHUNK / PACE_PER_S - time.monotonic(), 0))
                    events = [
                        JourneyEvent(
                            external_id=uuid.uuid4().hex,
                            name="bench_invite",
                            identities={"user_id": uuid.uuid4().hex},
                            occurred_at=utcnow(),
                            properties={},
                            traits={"first_name": "Lat", "plan": "team"},
                        )
                        for _ in range(PACE_CHUNK)
                    ]
                    stored += commit_events(db.session, connection_id, events).event_ids
                decided = (
                    sa.select(sa.func.count()).select_from(Decision).where(Decision.event_id.in_(stored))
                )
                while db.session.scalar(decided) < len(stored):  # the engine's jobs may still be running
                    db.session.rollback()
                    time.sleep(0.05)
                invites = db.session.scalars(sa.select(Invite.id).where(Invite.event_id.in_(stored))).all()
            self.wait_sent(list(invites))
            with self.app.app_context():
                pairs = db.session.execute(
                    sa.select(Event.received_at, Invite.sent_at)
                    .join(Invite, Invite.event_id == Event.id)
                    .where(Event.id.in_(stored))
                ).all()
            return [(sent - got).total_seconds() * 1000 for got, sent in pairs]
        finally:
            self.stop(running)

    def baseline(self, campaign_id: int, connection_id: int, count: int) -> float:
        from hub.runtime.jobs import enqueue

        running = self.workers(1)
        try:
            invites, _ = self.due(campaign_id, connection_id, count, later=True)
            with self.app.app_context():
                ids = db.session.scalars(
                    sa.select(Outbox.id).where(Outbox.idempotency_key.in_([f"invite-{i}" for i in invites]))
                ).all()
                started = time.time()
                for row_id in ids:
                    enqueue("bench.delivery.deliver_one", row_id)
            return count / (self.wait_sent(invites) - started)
        finally:
            self.stop(running)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1,000 invites, 3 s of paced events, a 100-row baseline"
    )
    parser.add_argument("--invites", type=int, default=10_000, help="webhook invites per case")
    parser.add_argument("--emails", type=int, default=2000, help="SMTP invites per case")
    parser.add_argument("--baseline", type=int, default=1000)
    parser.add_argument("--pace-seconds", type=float, default=10.0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so the servers it started are stopped
    if args.quick:
        args.invites, args.emails, args.baseline, args.pace_seconds = 1000, 200, 100, 3.0
    bench = Bench()
    try:
        ids = bench.seed()
        figures: dict[str, float] = {}
        for channel in ("webhook", "email"):
            for workers in (1, 2):
                count = args.invites if channel == "webhook" else args.emails
                rate, cpu_ms = bench.throughput(ids[channel], ids[f"{channel}_connection"], count, workers)
                figures[f"{channel}_per_worker_{workers}"] = rate
                figures[f"{channel}_cpu_ms_{workers}"] = cpu_ms
                print(
                    f"{channel:8} {count:6} invites, {workers} worker(s): {rate:7.0f} deliveries/s per worker, "
                    f"{cpu_ms:5.2f} ms worker CPU each ({1000 / cpu_ms:5.0f}/s per worker with a core of its own)",
                    flush=True,
                )
        for workers in (1, 2):
            waits = bench.latency(ids["webhook_connection"], args.pace_seconds, workers)
            figures[f"p95_ms_{workers}"] = statistics.quantiles(waits, n=20)[-1]
            print(
                f"stored -> delivered, {workers} worker(s), {len(waits)} events at {PACE_PER_S}/s: "
                f"p50 {statistics.median(waits):.0f} ms, p95 {figures[f'p95_ms_{workers}']:.0f} ms",
                flush=True,
            )
        figures["baseline_per_s"] = bench.baseline(ids["webhook"], ids["webhook_connection"], args.baseline)
        print(
            f"baseline (one RQ job per row), 1 worker: {figures['baseline_per_s']:.0f} deliveries/s",
            flush=True,
        )
        sink = bench.sink_stats()
        figures["duplicates"] = sink["received"] - sink["unique"]
        figures["vs_baseline"] = figures["webhook_per_worker_1"] / figures["baseline_per_s"]
        print(
            f"webhook receiver: {sink['received']} received, {sink['unique']} unique; "
            f"outbox vs baseline: {figures['vs_baseline']:.1f}x"
        )
        figures["load_avg"] = os.getloadavg()[0]
        print(f"load average {figures['load_avg']:.1f} on {os.cpu_count()} cores (other work on the machine)")
        print(json.dumps({"bench": "delivery", **{k: round(v, 2) for k, v in figures.items()}}))
    finally:
        bench.close()


if __name__ == "__main__":
    main()
