"""A real `journeyhub worker` killed with SIGKILL in the middle of evaluating a batch.

Real PostgreSQL and Redis. The test holds the row of the campaign's daily budget locked, so
the worker's evaluation stops inside its transaction, after writing the batch's invites and
person claims and before claiming the budget. Then the work-horse and the worker itself are
killed (the machine died). Nothing of the batch was committed; a new worker's periodic sweep
(its cron's first tick, or the one the test queues) finds the events and evaluates each
exactly once, no evaluation job having run; the same batch evaluated again (as RQ's retry of
the lost job would) and another sweep change nothing: one invite per event, the budget
counted once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from rq.job import Job

from hub.connections import create_connection
from hub.db import db, utcnow
from hub.models import CapClaim, Decision, EvaluatedEvent, Event, Invite, Profile, Run
from hub.runtime import jobs
from recipes.campaigns.schema import CampaignIn
from recipes.campaigns.service import save_campaign
from recipes.engine.caps import caps_for
from recipes.engine.saving import save_recipe
from recipes.engine.schema import RecipeIn
from recipes.engine.settings import workspace_rules
from tests.conftest import close_app, drop_postgres_database, make_app, new_postgres_database
from tests.servers import Postgres
from tests.servers import Redis as RedisServer

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 200
BUDGET = 1000


@pytest.fixture
def pg_rq_app(tmp_path: Path, postgres: Postgres, redis_server: RedisServer) -> Iterator[Flask]:
    redis.Redis.from_url(redis_server.url).flushdb()
    url = new_postgres_database(postgres)
    app = make_app(tmp_path, url, REDIS_URL=redis_server.url)
    yield app
    close_app(app)
    drop_postgres_database(postgres, url)


def start_worker(app: Flask, home: Path) -> subprocess.Popen[bytes]:
    settings = app.config["JOURNEYHUB"]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    env |= {
        "JOURNEYHUB_HOME": str(home),
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "JOURNEYHUB_SECRET_KEY": settings.journeyhub_secret_key.get_secret_value(),
    }
    return subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env, cwd=ROOT)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def wait_for(check: Callable[[], bool], within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def seed(app: Flask) -> tuple[list[int], str]:
    """A budgeted recipe and EVENTS trigger events, stored two minutes ago and never evaluated
    (as if their process died right after the commit); answers the events and the budget's key."""
    with app.app_context():
        connection_id = create_connection("generic", "events", {}).connection.id
        body = {"name": "Churn", "interview_url": "https://example.com/i", "channel": "webhook"}
        campaign_id = save_campaign(CampaignIn.model_validate(body)).id
        recipe = {
            "name": "Churned",
            "trigger": {"type": "event", "event": "churned"},
            "caps": {"daily_budget": BUDGET},
            "campaign_id": campaign_id,
        }
        saved = save_recipe(RecipeIn.model_validate(recipe))
        saved.created_at = utcnow() - timedelta(hours=1)  # it fires for events stored after it existed
        people = [Profile(traits={}) for _ in range(EVENTS)]
        db.session.add_all(people)
        db.session.flush()
        stored = utcnow() - timedelta(minutes=2)
        events = [
            Event(
                connection_id=connection_id,
                external_id=uuid.uuid4().hex,
                name="churned",
                profile_id=p.id,
                properties={},
                occurred_at=stored,
                received_at=stored,
            )
            for p in people
        ]
        db.session.add_all(events)
        db.session.commit()
        now = utcnow()
        [budget] = [
            c
            for c in caps_for(saved.definition, campaign_id, 0, workspace_rules(db.session), now)
            if c.budget
        ]
        db.session.add(CapClaim(key=budget.key, claimed_at=now, used=0))
        db.session.commit()
        return [e.id for e in events], budget.key


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        found = {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (EvaluatedEvent, Decision, Invite)
        }
        found["budget_used"] = (
            db.session.scalar(sa.select(sa.func.max(CapClaim.used)).where(CapClaim.key.startswith("budget:")))
            or 0
        )
        return found


def evaluation_runs(app: Flask) -> int:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Run).where(Run.kind == "evaluate")) or 0
        )


def run(app: Flask, worker: subprocess.Popen[bytes], fn: str, *args: object) -> object:
    """Enqueues a job on the real queue and answers its return value once the worker ran it."""
    with app.app_context():
        job_id = jobs.enqueue(fn, *args)
    backend = app.extensions["journeyhub.jobs"]
    job = Job.fetch(job_id, connection=backend.redis)
    wait_for(lambda: worker.poll() is None and job.get_status(refresh=True) == "finished")
    return job.return_value()


def test_a_worker_killed_mid_batch_leaves_each_event_to_the_sweep_once(
    pg_rq_app: Flask, tmp_path: Path
) -> None:
    app = pg_rq_app
    event_ids, budget_key = seed(app)
    with app.app_context():
        engine = db.engine
    holder = engine.connect()
    holder.execute(sa.select(CapClaim).where(CapClaim.key == budget_key).with_for_update())
    first = start_worker(app, tmp_path / "first")
    try:
        with app.app_context():
            jobs.enqueue("recipes.evaluate.evaluate_events", event_ids)
        blocked = sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO cap_claims%'"
        )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            wait_for(lambda: watcher.execute(blocked).scalar_one() == 1)
        horses = children(first.pid)
        assert horses, "the work-horse evaluating the batch was not found"
        for pid in [*horses, first.pid]:
            os.kill(pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        holder.rollback()
        holder.close()
        if first.poll() is None:
            first.kill()
    with engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as watcher:  # the dead worker's backend notices and rolls back
        wait_for(lambda: watcher.execute(blocked).scalar_one() == 0)
    assert counts(app) == {"evaluated_events": 0, "decisions": 0, "invites": 0, "budget_used": 0}

    expected = {"evaluated_events": EVENTS, "decisions": EVENTS, "invites": EVENTS, "budget_used": EVENTS}
    second = start_worker(app, tmp_path / "second")
    try:
        run(app, second, "recipes.periodic.sweep")
        wait_for(lambda: counts(app) == expected)
        assert evaluation_runs(app) == 0  # no evaluation job ran: the sweep did it all
        run(app, second, "recipes.evaluate.evaluate_events", event_ids)
        assert run(app, second, "recipes.periodic.sweep") == 0
        assert evaluation_runs(app) == 1
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert counts(app) == expected
    with app.app_context():
        per_event = db.session.execute(
            sa.select(Invite.event_id, sa.func.count()).group_by(Invite.event_id).having(sa.func.count() > 1)
        ).all()
    assert per_event == []
