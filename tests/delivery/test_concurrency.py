"""Two claimants at once, each a process with its own connections: no row is sent twice, none is lost."""

from __future__ import annotations

import os
import time
from collections import Counter

import sqlalchemy as sa
from flask import Flask

from hub.db import db
from hub.models import Outbox, Run
from hub.outbox.outcomes import CONFIG_KEY
from hub.outbox.worker import drain
from tests.channels.conftest import Sink
from tests.delivery.conftest import due_invites, webhook_campaign

ROWS = 240


def test_two_claimants_draining_at_once_send_every_row_exactly_once(app: Flask, sink: Sink) -> None:
    app.config[CONFIG_KEY] = {"batch": 0}  # the rows wait until both claimants start
    seeded = webhook_campaign(app, sink.url)
    ids = due_invites(app, seeded, count=ROWS)
    assert app.extensions["journeyhub.jobs"].drain(10)
    app.config[CONFIG_KEY] = {"batch": 10, "threads": 4}
    start = time.time() + 0.5
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # a claimant: start with the other, drain, leave without the parent's cleanup
            code = 1
            try:
                time.sleep(max(start - time.time(), 0))
                with app.app_context():
                    drain()
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    assert [os.waitpid(pid, 0)[1] for pid in children] == [0, 0]

    sent = Counter(seen.headers["Webhook-Id"] for seen in sink.received)
    assert sent == Counter({f"invite-{invite_id}": 1 for invite_id in ids})
    with app.app_context():
        statuses = Counter(db.session.scalars(sa.select(Outbox.status)))
        assert statuses == {"sent": ROWS}
        assert set(db.session.scalars(sa.select(Outbox.attempts))) == {1}
        claimants = {
            run.stats["claimant"] for run in db.session.scalars(sa.select(Run).where(Run.kind == "outbox"))
        }
        postgres = db.engine.dialect.name == "postgresql"
    if postgres:  # SQLite lets one writer claim at a time, so one claimant may take them all
        assert len(claimants) == 2, "both claimants took rows: SKIP LOCKED lets them work side by side"
