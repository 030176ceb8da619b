"""The world the delivery bench runs in: servers, worker processes, a campaign per channel, due invites.

PostgreSQL and Redis on loopback (tests/servers.py), the webhook receiver (bench/sink.py) and
the SMTP fake (`journeyhub fake email`) in processes of their own, and `journeyhub worker`
processes started and stopped per measurement.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

from hub.db import db, utcnow
from hub.models import Event, Invite, Outbox, Profile

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (
    "JOURNEYHUB_HOME",
    "DATABASE_URL",
    "REDIS_URL",
    "JOURNEYHUB_SECRET_KEY",
    "JOURNEYHUB_ALLOWED_HOSTS",
)


class World:
    def __init__(self) -> None:
        from tests.servers import (
            start_postgres,
            start_redis,
        )  # not at import: each baseline job imports this module

        self.postgres, self.redis = start_postgres(), start_redis()
        admin = sa.create_engine(self.postgres.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE bench"))
        admin.dispose()
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
            },
            "JOURNEYHUB_HOME": tempfile.mkdtemp(prefix="journeyhub-bench-"),
            "DATABASE_URL": self.postgres.url("bench"),
            "REDIS_URL": self.redis.url,
            "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
            "JOURNEYHUB_ALLOWED_HOSTS": "127.0.0.1",
            "JOURNEYHUB_LOG_LEVEL": "WARNING",
        }
        self.children: list[subprocess.Popen[str]] = []
        self.sink_url = f"http://127.0.0.1:{self._spawn([sys.executable, str(ROOT / 'bench' / 'sink.py')])}"
        self.smtp = json.loads(self._spawn([sys.executable, "-m", "hub.cli", "fake", "email"]))
        from hub.app import create_app
        from hub.migrate import upgrade

        self.app = create_app({k: v for k, v in self.env.items() if k in SETTINGS})
        with self.app.app_context():
            upgrade(db.engine)

    def _spawn(self, argv: list[str]) -> str:
        child = subprocess.Popen(
            argv, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.children.append(child)
        assert child.stdout is not None
        return child.stdout.readline().strip()

    def workers(self, count: int) -> list[subprocess.Popen[str]]:
        from rq import Worker

        started = [
            subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "worker"], env=self.env, cwd=ROOT, stderr=subprocess.DEVNULL
            )
            for _ in range(count)
        ]
        backend = self.app.extensions["journeyhub.jobs"]
        while len(Worker.all(connection=backend.redis)) < count:
            time.sleep(0.05)
        return started  # type: ignore[return-value]

    def stop(self, processes: list[subprocess.Popen[str]]) -> None:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        try:
            self.stop(self.children)
        finally:
            self.postgres.stop()
            self.redis.stop()

    def seed(self) -> dict[str, int]:
        """A connection, campaign and recipe per channel; answers the campaign ids and the event source."""
        from hub.connections import create_connection
        from recipes.campaigns.schema import CampaignIn
        from recipes.campaigns.service import save_campaign
        from recipes.engine.saving import save_recipe
        from recipes.engine.schema import RecipeIn

        settings = {
            "webhook": ("generic", {"url": self.sink_url + "/in"}),
            "email": ("email", self.smtp["credentials"]),
        }
        found: dict[str, int] = {}
        with self.app.app_context():
            for channel, (connector, values) in settings.items():
                connection = create_connection(connector, f"bench-{channel}", values).connection
                db.session.commit()
                body = {
                    "name": f"bench {channel}",
                    "interview_url": "https://interviews.example.com/s/bench",
                    "channel": channel,
                    "connection_id": connection.id,
                    "subject": "A question, {{ traits.first_name }}",
                    "body": "Hi {{ traits.first_name }}, tell us about {{ event.name }}: {{ link }}",
                    "context": ["plan"],
                }
                found[channel] = save_campaign(CampaignIn.model_validate(body)).id
                found[f"{channel}_connection"] = connection.id
            recipe = {
                "name": "bench",
                "trigger": {"type": "event", "event": "bench_invite"},
                "caps": {"per_person_days": 0, "per_campaign_person": {"days": 1}},
                "campaign_id": found["webhook"],
            }
            save_recipe(RecipeIn.model_validate(recipe))
        return found

    def due(
        self, campaign_id: int, connection_id: int, count: int, *, later: bool = False
    ) -> tuple[list[int], float]:
        """`count` people with an event and a due invite each, committed with their outbox rows at once."""
        from recipes.campaigns.queue import queue_invites

        with self.app.app_context():
            now = utcnow()
            people = db.session.scalars(
                sa.insert(Profile).returning(Profile.id, sort_by_parameter_order=True),
                [
                    {"traits": {"email": f"p{n}@example.com", "first_name": f"P{n}", "plan": "pro"}}
                    for n in range(count)
                ],
            ).all()
            events = db.session.scalars(
                sa.insert(Event).returning(Event.id, sort_by_parameter_order=True),
                [
                    {
                        "connection_id": connection_id,
                        "external_id": uuid.uuid4().hex,
                        "name": "trial_expired",
                        "profile_id": p,
                        "properties": {},
                        "occurred_at": now,
                        "received_at": now,
                    }
                    for p in people
                ],
            ).all()
            invites = db.session.scalars(
                sa.insert(Invite).returning(Invite.id, sort_by_parameter_order=True),
                [
                    {
                        "profile_id": p,
                        "campaign_id": campaign_id,
                        "event_id": e,
                        "status": "pending",
                        "due_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p, e in zip(people, events, strict=True)
                ],
            ).all()
            queue_invites(db.session, [(i, campaign_id) for i in invites])
            if later:  # the baseline's rows: only its own jobs take them
                db.session.execute(
                    sa.update(Outbox)
                    .where(Outbox.idempotency_key.in_([f"invite-{i}" for i in invites]))
                    .values(next_attempt_at=now + timedelta(days=1))
                )
            db.session.commit()
            return list(invites), time.time()

    def wait_sent(self, invite_ids: list[int]) -> float:
        """Waits until every row is marked; answers when the last was, in epoch seconds."""
        keys = [f"invite-{i}" for i in invite_ids]
        with self.app.app_context():
            while True:
                left, last = db.session.execute(
                    sa.select(
                        sa.func.count().filter(Outbox.status == "pending"), sa.func.max(Outbox.sent_at)
                    ).where(Outbox.idempotency_key.in_(keys))
                ).one()
                db.session.rollback()
                if left == 0:
                    return float(last.timestamp())
                time.sleep(0.05)

    def sink_stats(self) -> dict[str, int]:
        return dict(requests.get(self.sink_url + "/stats", timeout=5).json())


def cpu_s(processes: list[subprocess.Popen[str]]) -> float:
    """CPU seconds of these processes and of the children they waited for (their work-horses)."""
    total = 0
    for process in processes:
        with open(f"/proc/{process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")
