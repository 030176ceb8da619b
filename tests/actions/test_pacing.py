"""The shared pace: slots handed out once each, in call order, across processes, on every store.

Real stores only: SQLite and PostgreSQL for the embedded default, a real Redis for RQ. The
cross-process tests start worker processes that build their own app on the same database
(or Redis) and reserve at the same moment; their slots, read as absolute times, must all be
distinct and one interval apart, and each process's own slots must rise in its call order.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

import pytest
from flask import Flask

from connectors.sdk.actions import Pace
from connectors.slack.fake import start
from hub.outbox.pacing import reserve

SLACK = Pace(per_seconds=1, count=1, scope="channel")
FAST = Pace(per_seconds=0.05, count=1)
SPACED = Pace(per_seconds=0.2, count=1)
PER_PROCESS = 20


def _in_app(app: Flask, key: str, pace: Pace, **options: Any) -> float:
    with app.app_context():
        return reserve(key, pace, **options)


def _slot(app: Flask, key: str, pace: Pace) -> float:
    """The slot as a point in time, so that how long the machine took between calls does not count."""
    with app.app_context():
        called = time.time()
        return called + reserve(key, pace)


pytestmark = pytest.mark.parametrize(
    ("store", "database_url"),
    [("embedded", "sqlite"), ("embedded", "postgres"), ("redis", "sqlite")],
    ids=["sqlite", "postgres", "redis"],
    indirect=True,
)
"""Each store once: the Redis variant does not touch the database, so it runs beside SQLite only."""


@pytest.fixture
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def paced_app(request: pytest.FixtureRequest, store: str, database_url: str) -> Flask:
    """`database_url` is asked for so that the parametrisation above can choose it."""
    return request.getfixturevalue("app" if store == "embedded" else "rq_app")  # type: ignore[no-any-return]


def test_a_burst_is_spaced_one_interval_apart(paced_app: Flask) -> None:
    assert _in_app(paced_app, "slack:1:#research", SLACK) == 0
    slots = [_slot(paced_app, "slack:1:#research", SLACK) for _ in range(4)]
    for earlier, later in zip(slots, slots[1:], strict=False):
        assert later - earlier == pytest.approx(1.0, abs=0.05)


def test_keys_are_paced_apart(paced_app: Flask) -> None:
    assert _in_app(paced_app, "slack:1:#a", SLACK) == 0
    assert _in_app(paced_app, "slack:1:#b", SLACK) == 0
    assert _in_app(paced_app, "slack:1:#a", SLACK) > 0.5


def test_an_hourly_budget_lets_its_count_through_then_spaces_the_rest(paced_app: Flask) -> None:
    """Linear's budget: a leaky bucket of `count` an hour, full after a quiet spell."""
    budget = Pace(per_seconds=3600, count=100)
    waits = [_in_app(paced_app, "linear:4", budget) for _ in range(100)]
    assert waits == [0.0] * 100
    beyond = [_slot(paced_app, "linear:4", budget) for _ in range(2)]
    assert beyond[1] - beyond[0] == pytest.approx(36.0, abs=0.05)
    assert beyond[0] - time.time() == pytest.approx(36.0, abs=5)  # less the time the first 100 took


def test_a_slot_beyond_within_is_not_taken(paced_app: Flask) -> None:
    assert _in_app(paced_app, "slack:2:#c", SLACK) == 0
    first = _in_app(paced_app, "slack:2:#c", SLACK, within=0.5)
    again = _in_app(paced_app, "slack:2:#c", SLACK, within=0.5)
    assert 0.5 < again <= first <= 1.0  # had the first refusal taken the slot, the next would be 2 s off
    assert 0.5 < _in_app(paced_app, "slack:2:#c", SLACK) <= 1.0
    assert 1.5 < _in_app(paced_app, "slack:2:#c", SLACK) <= 2.0


def test_the_slot_frees_up_as_time_passes(paced_app: Flask) -> None:
    assert _in_app(paced_app, "k", FAST) == 0
    time.sleep(0.12)
    assert _in_app(paced_app, "k", FAST) == 0


def _reserve_many(settings: dict[str, str], start_at: float, out: Any) -> None:
    """A worker process: its own app on the shared store, reserving from one common instant."""
    from hub.app import create_app

    app = create_app(settings)
    time.sleep(max(start_at - time.time(), 0))
    slots = []
    with app.app_context():
        for _ in range(PER_PROCESS):
            called = time.time()
            slots.append(called + reserve("slack:9:#burst", SPACED))
    out.put(slots)


def _settings(app: Flask) -> dict[str, str]:
    settings = app.config["JOURNEYHUB"]
    values = {
        "DATABASE_URL": settings.database_url,
        "JOURNEYHUB_HOME": str(settings.journeyhub_home),
        "JOURNEYHUB_SECRET_KEY": settings.journeyhub_secret_key.get_secret_value(),
    }
    if settings.redis_url:
        values["REDIS_URL"] = settings.redis_url
    return values


def test_processes_reserving_at_once_get_distinct_ordered_slots(paced_app: Flask) -> None:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start_at = time.time() + 3.0  # both processes have built their apps by then
    workers = [
        context.Process(target=_reserve_many, args=(_settings(paced_app), start_at, out)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    for slots in results:
        assert slots == sorted(slots)
    first = min(slot for slots in results for slot in slots)
    # Read as absolute times, slots carry each process's scheduling noise (milliseconds), far
    # below the interval; counted in intervals from the first, they must be 0..39, once each.
    steps = sorted(round((slot - first) / SPACED.per_seconds) for slots in results for slot in slots)
    assert steps == list(range(2 * PER_PROCESS))


STRICT = Pace(per_seconds=0.5, count=1, scope="channel")
"""Slack's per-channel pace, run 2x faster; the fake below takes one message beyond it at most."""


def _post_paced(settings: dict[str, str], credentials: dict[str, str], start_at: float, out: Any) -> None:
    """A worker process posting to one channel as the outbox handler does: reserve, wait, perform."""
    from connectors.registry import get_connector
    from connectors.sdk.actions import Action
    from hub.app import create_app

    app = create_app(settings | {"JOURNEYHUB_ALLOWED_HOSTS": "127.0.0.1"})
    slack = get_connector("slack")
    assert slack.actions is not None
    config = slack.prepare_config(credentials)
    time.sleep(max(start_at - time.time(), 0))
    answers = []
    with app.app_context():
        for n in range(PER_WORKER):
            time.sleep(reserve("slack:1:#research", STRICT))
            action = Action(
                f"{os.getpid()}-{n}", "post_message", {}, f"message {n}", "", "http://hub.test/f/1"
            )
            try:
                answers.append(type(slack.actions.perform(config, [action])[action.key]).__name__)
            except Exception as exc:  # a 429 (RateLimited) is what this test is about
                answers.append(type(exc).__name__)
    out.put(answers)


PER_WORKER = 6


def test_two_workers_posting_to_one_slack_channel_through_the_pace_are_never_refused(
    paced_app: Flask,
) -> None:
    """The fake refuses (429) a third message within 0.5 s; the shared pace keeps both workers under it."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    with start(per_second=1 / STRICT.per_seconds, burst=2) as fake:
        start_at = time.time() + 3.0
        workers = [
            context.Process(target=_post_paced, args=(_settings(paced_app), fake.credentials, start_at, out))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        results = [out.get(timeout=90) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        posted = fake.messages()
    assert results == [["Done"] * PER_WORKER] * 2
    assert len(posted) == 2 * PER_WORKER  # every request taken at once: none answered 429
    received = [m["received_at"] for m in posted]
    # Each arrival is at or after its slot, give or take a busy machine's scheduling (tenths of a second).
    assert received[-1] - received[0] >= STRICT.per_seconds * (len(received) - 1) * 0.8
