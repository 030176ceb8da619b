"""The demo's script: seed, send, tick, answer, and wait for the hub to finish each part of the loop.

The in-process backend runs every job; `drain` waits until none is running, queued or waiting
to retry, so each step starts once the one before has had all its consequences. The periodic
ticks (absence windows closing, cohort syncs, due deliveries) run once, through the same
backend, rather than on their timers: the demo should not wait a minute for its first tick.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub.api.auth import create_token
from hub.db import db, utcnow
from hub.demo.client import DemoError, HubClient
from hub.demo.drive import answer_invites, journeys, send_events
from hub.demo.fakes import read_back
from hub.demo.seed import seed
from hub.demo.summary import Summary, summarise
from hub.models import AdminUser
from hub.runtime.jobs import InProcessBackend, enqueue
from hub.runtime.schedule import PERIODIC

EMAIL = "demo@journeyhub.local"
STEP_S = 40.0
"""The longest the demo waits for the hub to finish one step."""


def run_demo(app: Flask, address: str, fakes: dict[str, Any], say: Callable[[str], None]) -> Summary:
    backend = app.extensions["journeyhub.jobs"]
    if not isinstance(backend, InProcessBackend):
        raise DemoError("journeyhub demo runs the embedded default: unset REDIS_URL")
    started = utcnow()
    with app.app_context():
        token = create_token("demo")
        db.session.commit()
    hub = HubClient(address, token)
    say("seeding connections to the fakes, a cohort, two campaigns, three recipes and a journey")
    ws = seed(hub, fakes)
    events = journeys()
    say(f"sending {len(events)} journey events to /hooks/generic")
    send_events(hub, ws.connections["generic"], ws.secrets["generic"], events)
    _settle(backend, "the engine and the invite deliveries")
    say("ticking the schedule once: absence windows that closed, the cohort sync, due deliveries")
    with app.app_context():
        for periodic in PERIODIC:
            enqueue(periodic.fn)
    _settle(backend, "the scheduled work")
    messages = read_back(fakes["email"], "/_fake/messages")
    say(f"{len(messages)} invite emails arrived at the SMTP fake; people follow their links and answer")
    answered = answer_invites(hub, ws.connections["interviews"], ws.secrets["interviews"], messages)
    _settle(backend, "synthesis, findings and result actions")
    hub.post(f"/api/v1/journeys/{ws.journey_id}/snapshots", None)
    with app.app_context():
        return summarise(ws, fakes, answered, len(events), started)


def _settle(backend: InProcessBackend, what: str) -> None:
    if not backend.drain(STEP_S):
        raise DemoError(f"the hub did not finish {what} within {STEP_S:.0f} s")


def demo_login(app: Flask) -> tuple[str, str]:
    """The demo's admin, with a new password each run (printed once, as the demo's login)."""
    password = secrets.token_urlsafe(12)
    with app.app_context():
        user = db.session.scalar(sa.select(AdminUser).where(AdminUser.email == EMAIL))
        if user is None:
            user = AdminUser(email=EMAIL)
            db.session.add(user)
        user.set_password(password)
        db.session.commit()
    return EMAIL, password
