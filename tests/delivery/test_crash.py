"""A real `journeyhub worker` killed with SIGKILL after the send and before the mark.

Real PostgreSQL and Redis. The receiver records the delivery, then kills the RQ work-horse
that is sending it (the process holding the other end of the connection) before it answers,
so the send happened and the mark never did. The row's lease runs out (3 s here), the
worker's cron tick claims it again as tried before, and the retry carries the same key; for
Intercom (its fake behind a proxy that does the killing) the retry asks first and finds the
message, so none is sent twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask
from werkzeug.wrappers import Request

from connectors.intercom import fake as intercom_fake
from hub.connections import create_connection
from hub.db import db
from hub.models import Invite, Outbox, RunStep
from recipes.campaigns.schema import CampaignIn
from recipes.campaigns.service import save_campaign
from tests.channels.conftest import Reply, Sink
from tests.conftest import close_app, drop_postgres_database, make_app, new_postgres_database
from tests.delivery.conftest import Seeded, due_invites, outbox_row, webhook_campaign
from tests.servers import Postgres
from tests.servers import Redis as RedisServer

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = "3"


def socket_owner(port: int, among: int) -> int | None:
    """The descendant of `among` holding the loopback TCP socket whose local port is `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    for pid in descendants(among):
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return pid
    return None


def descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def killer(worker: Callable[[], int], killed: list[int]) -> Callable[[Request], Reply]:
    """The first delivery kills its sender before the answer; later ones are answered 200."""

    def reply(request: Request) -> Reply:
        if not killed:
            horse = socket_owner(int(request.environ["REMOTE_PORT"]), worker())
            assert horse is not None, "the sending process was not found"
            os.kill(horse, signal.SIGKILL)
            killed.append(horse)
        return Reply()

    return reply


@pytest.fixture
def pg_rq_app(tmp_path: Path, postgres: Postgres, redis_server: RedisServer) -> Iterator[Flask]:
    redis.Redis.from_url(redis_server.url).flushdb()
    url = new_postgres_database(postgres)
    key = Fernet.generate_key().decode()
    app = make_app(
        tmp_path,
        url,
        REDIS_URL=redis_server.url,
        JOURNEYHUB_SECRET_KEY=key,
        JOURNEYHUB_OUTBOX_LEASE_S=LEASE_S,
    )
    yield app
    close_app(app)
    drop_postgres_database(postgres, url)


def start_worker(app: Flask, tmp_path: Path) -> subprocess.Popen[bytes]:
    settings = app.config["JOURNEYHUB"]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    env |= {
        "JOURNEYHUB_HOME": str(tmp_path / "worker-home"),
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "JOURNEYHUB_SECRET_KEY": settings.journeyhub_secret_key.get_secret_value(),
        "JOURNEYHUB_ALLOWED_HOSTS": "127.0.0.1",
        "JOURNEYHUB_OUTBOX_LEASE_S": LEASE_S,
    }
    return subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env, cwd=ROOT)


def wait_for(check: Callable[[], bool], worker: subprocess.Popen[bytes], within_s: float = 90) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert worker.poll() is None, "the worker itself stopped"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_worker_killed_between_send_and_mark_resends_with_the_same_key_once(
    pg_rq_app: Flask, tmp_path: Path, sink: Sink
) -> None:
    app = pg_rq_app
    worker = start_worker(app, tmp_path)
    killed: list[int] = []
    sink.reply(killer(lambda: worker.pid, killed), Reply())
    try:
        seeded = webhook_campaign(app, sink.url)
        (invite_id,) = due_invites(app, seeded)  # its commit queues a drain job on RQ
        wait_for(lambda: outbox_row(app, invite_id).status == "sent", worker)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert len(killed) == 1
    first, second = sink.received
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"] == f"invite-{invite_id}"
    row = outbox_row(app, invite_id)
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 2, None)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invite)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Outbox)) == 1
        invite = db.session.get(Invite, invite_id)
        assert invite is not None and invite.status == "sent"
        steps = db.session.scalars(sa.select(RunStep).where(RunStep.name == f"outbox:{row.id}"))
        assert [(s.status, s.detail["attempt"]) for s in steps] == [("sent", 2)]  # the first was never marked


def forward(target: str, worker: Callable[[], int], killed: list[int]) -> Callable[[Request], Reply]:
    """A proxy to `target` that kills the sender of the first `POST /messages` once Intercom took it."""

    def reply(request: Request) -> Reply:
        query = request.query_string.decode()
        wanted = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "content-type", "accept")
        }
        answer = requests.request(
            request.method,
            target + request.path + (f"?{query}" if query else ""),
            data=request.get_data(),
            headers=wanted,
            timeout=10,
        )
        if request.path == "/messages" and not killed:
            horse = socket_owner(int(request.environ["REMOTE_PORT"]), worker())
            assert horse is not None, "the sending process was not found"
            os.kill(horse, signal.SIGKILL)
            killed.append(horse)
        return Reply(answer.status_code, answer.content, {"Content-Type": answer.headers["Content-Type"]})

    return reply


def test_a_killed_intercom_delivery_is_found_by_lookup_and_not_sent_again(
    pg_rq_app: Flask, tmp_path: Path, sink: Sink
) -> None:
    app = pg_rq_app
    with intercom_fake.start(members=5, seed=3) as fake:
        contact_id = fake.member_id(2)
        email = str(fake.person(contact_id).email)
        worker = start_worker(app, tmp_path)
        killed: list[int] = []
        sink.reply(*[forward(fake.base_url, lambda: worker.pid, killed)] * 50)
        try:
            with app.app_context():
                settings = {**fake.credentials, "base_url": sink.url}
                connection_id = create_connection("intercom", "support", settings).connection.id
                db.session.commit()
                body = {
                    "name": "In-app interviews",
                    "interview_url": "https://interviews.example.com/s/app",
                    "channel": "intercom",
                    "connection_id": connection_id,
                }
                campaign_id = save_campaign(CampaignIn.model_validate(body)).id
            (invite_id,) = due_invites(app, Seeded(connection_id, campaign_id), email=email)
            wait_for(lambda: outbox_row(app, invite_id).status == "sent", worker)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        assert len(killed) == 1
        (sent,) = fake.sent
        assert sent["to"]["id"] == contact_id
    posts = [seen.path for seen in sink.received if seen.method == "POST"]
    assert posts.count("/messages") == 1 and "/conversations/search" in posts
    row = outbox_row(app, invite_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.result is not None and row.result["found_by_lookup"] is True
    assert row.result["detail"]["conversation_id"] == str(sent["conversation_id"])
    with app.app_context():
        invite = db.session.get(Invite, invite_id)
        assert invite is not None and invite.status == "sent"
