"""Cohort-source fixtures: every registered SOURCE connector that ships a fake, found through the registry.

Backoff and rate-limit waits go through a recorder set as the app's outbound `sleep`, so a
test can see what the provider asked for without spending that time, or hold a sync still
in the middle while it looks at the run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.registry import get_connector, with_capability, with_fake
from connectors.sdk import Capability
from connectors.sdk.fakes.server import FakeServer
from hub.connections import create_connection
from hub.db import db
from hub.models import CohortMember, Event
from hub.outbound.scope import CONFIG_KEY
from tests.connectors.push_support import basic, mixpanel_connection

SOURCES = sorted(set(with_capability(Capability.SOURCE)) & set(with_fake()))
PAGE_SIZE = 200
"""Near the smallest size every source honours (Salesforce batches at least 200 rows)."""
MANY = 2 * PAGE_SIZE + 20
MAX_ATTEMPTS = 3


@dataclass
class Sleeps:
    """Stands in for time.sleep in the outbound layer; `hold()` parks the next sleeper until released."""

    waits: list[float] = field(default_factory=list)
    sleeping: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=lambda: _set(threading.Event()))

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleeping.set()
        assert self.release.wait(timeout=30), "a held sync was never released"

    def hold(self) -> None:
        self.sleeping.clear()
        self.release.clear()


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event


@pytest.fixture
def sleeps(app: Flask) -> Sleeps:
    recorder = Sleeps()
    app.config[CONFIG_KEY] = {"sleep": recorder, "max_attempts": MAX_ATTEMPTS, "max_wait_s": 30.0}
    return recorder


@pytest.fixture(params=SOURCES)
def connector_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def start_fake(name: str, members: int, seed: int = 3) -> FakeServer:
    server = get_connector(name).fake(members=members, seed=seed)
    assert server is not None
    return server


@pytest.fixture
def fake(connector_name: str) -> Iterator[FakeServer]:
    """A fake whose first cohort spans several pages."""
    server = start_fake(connector_name, MANY)
    yield server
    server.stop()


@pytest.fixture
def small_fake(connector_name: str) -> Iterator[FakeServer]:
    server = start_fake(connector_name, 12)
    yield server
    server.stop()


def add_connection(app: Flask, name: str, fake: FakeServer, label: str = "fake", **overrides: Any) -> int:
    with app.app_context():
        settings = {**fake.credentials, "page_size": page_size(name), **overrides}
        connection = create_connection(name, f"{name} {label}", settings).connection
        db.session.commit()
        return connection.id


def page_size(name: str) -> int:
    """PAGE_SIZE within the bounds the connector declares (Intercom pages at most 150)."""
    (declared,) = [f for f in get_connector(name).spec.fields if f.name == "page_size"]
    return min(max(PAGE_SIZE, declared.minimum or 1), declared.maximum or PAGE_SIZE)


def fail_after_first_page(
    fake: FakeServer, status: int, requests_per_page: int, *, times: int = 1, retry_after: int | None = None
) -> None:
    """The provider answers `status` to the `times` requests made once the sync has staged a page.

    A paged source asks page by page, so the fault lands on the request after the first page's.
    A source that downloads the whole cohort in one response (an export file) has made all its
    requests before its first page; its fake cuts that download after the first page instead
    (`break_download`), and the fault lands on the requests that follow the cut.
    """
    break_download = getattr(fake, "break_download", None)
    if break_download is not None:
        break_download(PAGE_SIZE, status, times=times, retry_after=retry_after)
    else:
        fake.inject_fault(status, after=requests_per_page, times=times, retry_after=retry_after)


def wrong_credentials(name: str, fake: FakeServer) -> dict[str, str]:
    """Every secret setting replaced, whatever the connector calls its credentials."""
    secret = get_connector(name).spec.secret_fields
    return {key: "wrong-credential-value" for key in fake.credentials if key in secret}


def cohort_refs(fake: FakeServer, source_ref: str) -> set[str]:
    """What the provider says is in the cohort right now."""
    cohort = fake.cohort_index(source_ref)
    return {fake.member_id(index) for index in fake.population.members(cohort)}


def stored_refs(cohort_id: int) -> set[str]:
    return set(
        db.session.scalars(sa.select(CohortMember.member_ref).where(CohortMember.cohort_id == cohort_id))
    )


def cohort_events(cohort_id: int) -> list[tuple[str, str]]:
    """(event name, member ref) of every event a sync of this cohort stored, oldest first."""
    rows = db.session.scalars(
        sa.select(Event).where(Event.external_id.like(f"cohort:{cohort_id}:%")).order_by(Event.id)
    )
    return [(event.name, event.properties["member_ref"]) for event in rows]


@pytest.fixture
def mixpanel_hook(app: Flask) -> tuple[int, dict[str, str]]:
    """A Mixpanel connection's id and the Basic credentials its cohort-sync pushes carry."""
    connection_id, password = mixpanel_connection(app)
    return connection_id, basic("mixpanel", password)
