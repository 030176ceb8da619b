"""A burst of 50 findings to one Slack channel: delivered in order, none dropped or failed, at the pace.

End to end from the outbox on: 50 `post_message` rows written as recipes/actions writes
them (rendered in the sandbox, keyed per finding change), committed at once, drained by the
app's own in-process worker through the `action` handler, the shared pacer
(hub.outbox.pacing, in the database here) and slack-sdk, into the Slack fake, which refuses
(429) anything faster than its per-channel rate after a short burst.

Slack's rate is about one message a second, which would make this a 50-second test; here
the fake takes 10 a second (burst 3) and the destination's pace is set to match (one per
0.1 s), so the same 50 messages take about 5 s. The spacing is checked against that pace.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.registry import get_connector
from connectors.sdk.actions import Pace
from connectors.slack.fake import SlackFake, start
from hub.connections import create_connection
from hub.db import db
from hub.models import Outbox
from hub.outbox.rows import NewRow, add
from recipes.actions.enqueue import KIND, finding_key
from recipes.actions.render import finding_action
from tests.fakes.support import calls

BURST = 50
FAST = Pace(per_seconds=0.1, count=1, scope="channel")


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    with start(per_second=1 / FAST.per_seconds, burst=3) as server:
        yield server


def _finding(n: int) -> dict[str, Any]:
    """A finding as recipes/actions' templates and renderer see it (finding_variables)."""
    return {
        "id": 1000 + n, "recipe_id": 1, "recipe": "Trial interviews", "period": "all",
        "theme": f"theme {n:02d}", "share": 0.3, "share_percent": 30, "share_before": None,
        "interviews": 40, "mentions": 12, "sentiment": -0.2, "status": "active", "change": "appeared",
        "first_seen_at": "2026-11-23T10:00:00+00:00",
        "quotes": [{"text": f"quote of finding {n}", "turn": 1, "result_id": 7,
                    "url": "http://hub.test/api/v1/results/7#turn-1"}],
        "link": f"http://hub.test/api/v1/findings/{1000 + n}",
    }  # fmt: skip


def _write_burst(app: Flask, fake: SlackFake) -> int:
    with app.app_context():
        connection = create_connection("slack", "research channel", fake.credentials).connection
        db.session.flush()
        rows = []
        for n in range(BURST):
            finding = _finding(n)
            stored = finding_action(
                "post_message", {"text": "New: {{ finding.theme }}"}, {"finding": finding}
            )
            payload = {"connection_id": connection.id, "on": "finding", "operation": "post_message",
                       "finding_id": finding["id"], "change_id": n + 1, "action": stored}  # fmt: skip
            key = finding_key(finding["id"], connection.id, n + 1, 0)
            rows.append(NewRow(KIND, f"slack:{connection.id}", payload, key))
        add(db.session, rows)
        db.session.commit()
        return connection.id


def test_a_burst_of_50_findings_arrives_in_order_at_the_pace(
    app: Flask, fake: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_connector("slack").actions, "pace", FAST)
    written = time.time()
    _write_burst(app, fake)
    assert app.extensions["journeyhub.jobs"].drain(60)

    posted = fake.messages()
    assert [m["blocks"][1]["text"]["text"] for m in posted] == [f"New: theme {n:02d}" for n in range(BURST)]
    assert {m["channel"] for m in posted} == {"C0000000001"}
    with app.app_context():
        rows = db.session.execute(
            sa.select(Outbox.status, Outbox.attempts, Outbox.result).order_by(Outbox.id)
        )
        outcomes = [(status, attempts, result["ts"]) for status, attempts, result in rows]
    assert outcomes == [("sent", 1, m["ts"]) for m in posted]  # none retried, failed or dropped
    received = [m["received_at"] for m in posted]
    # Slots are reserved one per FAST.per_seconds from when the drain began, after the burst was
    # written: the n-th message never arrives before n slots after that. A busy machine can only make
    # a message later, the first one too (which lets the next ones catch up with their slots), so
    # the burst's span is judged loosely: unpaced, it would be a few milliseconds.
    assert all(at >= written + FAST.per_seconds * n - 0.005 for n, at in enumerate(received))
    span = received[-1] - received[0]
    assert FAST.per_seconds * (BURST - 1) * 0.8 <= span <= FAST.per_seconds * (BURST - 1) * 2 + 2.0
    assert calls(fake).count(("POST", "/api/chat.postMessage")) == BURST  # not one refused and sent again
