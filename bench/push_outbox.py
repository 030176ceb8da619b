"""bench/push.py's outbox path: N `action` rows drained by the outbox worker, as a synthesis writes them.

A connection to the fake, N profiles with the identity the destination addresses them by,
and N outbox rows (kind `action`, one rendered `on: result` action each) are committed in one
transaction; then the outbox drains them (the drain job the commit woke, then `drain()` here
until nothing is left) and every row must end `sent`. The requests the fake received and
the wall time from the commit to the last row marked are what the bench reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask

from connectors.sdk.fakes.server import FakeServer
from hub.connections import create_connection
from hub.db import db
from hub.models import Identity, Outbox, Profile
from hub.outbox.rows import NewRow, add
from hub.outbox.worker import drain


@dataclass(frozen=True)
class Seeded:
    row_ids: list[int]
    requests_before: int
    started: float


IDENTITY = {
    "hubspot": "hubspot_contact",
    "salesforce": "salesforce_contact",
    "mixpanel": "mixpanel_distinct_id",
}


def _identity(name: str, connection_id: int, fake: FakeServer, index: int, run: str) -> tuple[str, str]:
    """Amplitude addresses people by the hub's own user_id, unique across connections: one per run."""
    if name == "amplitude":
        return "user_id", f"{run}-user-{index}"
    return IDENTITY[name], f"{connection_id}:{fake.member_id(index)}"


def seed(
    app: Flask, name: str, fake: FakeServer, operation: str, stored: dict[str, Any], n: int, run: str
) -> Seeded:
    """Commits a connection, N people and their N action rows; the clock starts at that commit."""
    with app.app_context():
        connection = create_connection(name, f"bench {name} {run}", dict(fake.credentials)).connection
        profiles = [Profile(traits={"email": f"{run}-{i}@bench.example"}) for i in range(n)]
        db.session.add_all(profiles)
        db.session.flush()
        db.session.add_all(
            Identity(profile_id=p.id, kind=kind, value=value)
            for i, p in enumerate(profiles)
            for kind, value in [_identity(name, connection.id, fake, i, run)]
        )
        keys = [f"action:bench:{run}:{name}:{operation}:{i}" for i in range(n)]
        rows = [
            NewRow(
                kind="action",
                target=f"{name}:{connection.id}",
                payload={
                    "connection_id": connection.id,
                    "on": "result",
                    "operation": operation,
                    "result_id": i,
                    "profile_id": p.id,
                    "action": stored,
                },
                idempotency_key=key,
            )
            for i, (p, key) in enumerate(zip(profiles, keys, strict=True))
        ]
        add(db.session, rows)
        before, started = fake.request_count, time.perf_counter()
        db.session.commit()
        found = db.session.scalars(sa.select(Outbox.id).where(Outbox.idempotency_key.in_(keys)))
        return Seeded(list(found), before, started)


def drain_all(app: Flask, fake: FakeServer, seeded: Seeded) -> tuple[int, float]:
    """(requests the fake received, wall seconds) from the commit until the outbox has sent every row."""
    row_ids = seeded.row_ids
    app.extensions["journeyhub.jobs"].drain(300)
    with app.app_context():
        while drain():
            pass
        wall = time.perf_counter() - seeded.started
        statuses = db.session.execute(
            sa.select(Outbox.status, sa.func.count()).where(Outbox.id.in_(row_ids)).group_by(Outbox.status)
        ).all()
    if dict(statuses) != {"sent": len(row_ids)}:
        raise SystemExit(f"not every row was sent: {dict(statuses)}")
    return fake.request_count - seeded.requests_before, wall
