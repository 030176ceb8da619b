"""The core's test world: a recipe with result actions, results synthesised the way the synthesis
job stores them (findings and action rows in one transaction), and the outbox drained.

`synthesised` does what recipes.insights.run._store does after Claude or the offline
synthesiser answered, with themes and quality chosen by the test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from connectors.linear.fake import LinearFake
from connectors.registry import get_connector
from hub.connections import create_connection
from hub.db import db, utcnow
from hub.models import InterviewResult, Invite, Outbox
from hub.outbox.worker import drain
from recipes.actions.enqueue import KIND, after_synthesis
from recipes.insights.findings import Thresholds, count
from tests.insights.support import World

RULES = Thresholds(share=0.25, min_interviews=2, change=0.1)
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
_numbers = itertools.count(1)


def connection(app: Flask, connector: str, values: dict[str, Any]) -> int:
    with app.app_context():
        made = create_connection(connector, f"{connector}-{next(_numbers)}", values).connection
        db.session.commit()
        return made.id


@contextmanager
def linear_fake() -> Iterator[LinearFake]:
    server = get_connector("linear").fake()
    assert isinstance(server, LinearFake)
    try:
        yield server
    finally:
        server.stop()


def webhook(app: Flask, url: str) -> int:
    """A generic connection posting result actions (`post_message`) to `url`."""
    return connection(app, "generic", {"url": url, "secret": SECRET})


def set_actions(world: World, *actions: dict[str, Any]) -> None:
    body = world.api.get(f"/api/v1/recipes/{world.recipe_id}").json
    keep = {k: v for k, v in body.items() if k not in ("id", "version", "created_at", "updated_at")}
    answer = world.api.put(f"/api/v1/recipes/{world.recipe_id}", json=keep | {"actions": list(actions)})
    assert answer.status_code == 200, answer.json


def synthesised(
    world: World, *labels: str, quality: int = 4, commit: bool = True, email: str | None = None
) -> int:
    """A result of the world's recipe stored as synthesis stores it: findings and actions in one transaction."""
    invite_id = world.invite(email=email or f"p{next(_numbers)}@example.com")
    with world.app.app_context():
        now = utcnow()
        invite = db.session.get(Invite, invite_id)
        assert invite is not None
        row = InterviewResult(
            connection_id=world.connection_id,
            external_id=f"r{next(_numbers)}",
            invite_id=invite_id,
            profile_id=invite.profile_id,
            recipe_id=world.recipe_id,
            campaign_id=world.campaign_id,
            completed_at=datetime(2026, 11, 20, 10, 30, tzinfo=UTC),
            transcript=[
                {"speaker": "interviewer", "text": "Why?"},
                {"speaker": "respondent", "text": "It is too expensive for us."},
            ],
            answers=[],
            synthesis_status="done",
            themes=[{"label": label, "confidence": 0.8} for label in labels],
            sentiment_label="negative",
            sentiment_score=-0.5,
            quotes=[{"text": "too expensive for us", "turn": 1, "start": 6, "end": 26}],
            quality=quality,
            qualifying=quality >= 3,
        )
        db.session.add(row)
        db.session.flush()
        count(db.session, row, RULES, now)
        after_synthesis(db.session, row, now)
        result_id = row.id
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return result_id


def action_rows(app: Flask) -> list[Outbox]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Outbox).where(Outbox.kind == KIND).order_by(Outbox.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def run_drain(app: Flask) -> int:
    """Lets the drain jobs the commits woke finish, then drains once more here."""
    assert app.extensions["journeyhub.jobs"].drain(30)
    with app.app_context():
        return drain()


def make_due(app: Flask) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Outbox).where(Outbox.status == "pending").values(next_attempt_at=datetime.now(UTC))
        )
        db.session.commit()
