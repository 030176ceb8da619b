"""What the delivery tests share: a webhook campaign aimed at a real local sink, and due invites.

Invites are written the way the engine writes a due one: the invite row as `pending` and its
outbox row (recipes.campaigns.queue.queue_invites) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.connections import create_connection
from hub.db import db, utcnow
from hub.models import Event, Invite, Outbox, Profile
from recipes.campaigns.queue import invite_key, queue_invites
from recipes.campaigns.schema import CampaignIn
from recipes.campaigns.service import save_campaign
from tests.channels.conftest import Sink

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.stop()


@dataclass(frozen=True)
class Seeded:
    connection_id: int
    campaign_id: int


def webhook_campaign(app: Flask, url: str, **campaign: Any) -> Seeded:
    with app.app_context():
        connection = create_connection("generic", f"out-{url}", {"url": url, "secret": SECRET}).connection
        db.session.commit()
        body = {
            "name": "Trial interviews",
            "interview_url": "https://interviews.example.com/s/trial?lang=en",
            "channel": "webhook",
            "connection_id": connection.id,
            "subject": "About your trial, {{ traits.first_name }}",
            "body": "Hi {{ traits.first_name }},\n\ntell us about {{ event.name }}: {{ link }}",
            "context": ["company_size"],
            **campaign,
        }
        return Seeded(connection.id, save_campaign(CampaignIn.model_validate(body)).id)


def due_invites(app: Flask, seeded: Seeded, count: int = 1, **traits: Any) -> list[int]:
    """`count` people, each with a trial_expired event and a due invite queued in the outbox."""
    campaign_id = seeded.campaign_id
    with app.app_context():
        now = utcnow()
        ids = []
        for n in range(count):
            person = {"email": f"p{n}@example.com", "first_name": f"P{n}", "plan": "pro", **traits}
            profile = Profile(traits=person)
            db.session.add(profile)
            db.session.flush()
            event = Event(
                connection_id=seeded.connection_id,
                external_id=f"e-{profile.id}",
                name="trial_expired",
                profile_id=profile.id,
                properties={"days": 14},
                occurred_at=now,
            )
            db.session.add(event)
            db.session.flush()
            invite = Invite(
                profile_id=profile.id,
                campaign_id=campaign_id,
                event_id=event.id,
                status="pending",
                due_at=now,
            )
            db.session.add(invite)
            db.session.flush()
            queue_invites(db.session, [(invite.id, campaign_id)])
            ids.append(invite.id)
        db.session.commit()
        return ids


def outbox_row(app: Flask, invite_id: int) -> Outbox:
    with app.app_context():
        row = db.session.scalar(sa.select(Outbox).where(Outbox.idempotency_key == invite_key(invite_id)))
        assert row is not None
        db.session.expunge(row)
        return row


def invite_row(app: Flask, invite_id: int) -> Invite:
    with app.app_context():
        row = db.session.get(Invite, invite_id)
        assert row is not None
        db.session.expunge(row)
        return row


def make_due(app: Flask, invite_id: int) -> None:
    """Moves a waiting row's next attempt to now, as the passing of time would."""
    with app.app_context():
        db.session.execute(
            sa.update(Outbox)
            .where(Outbox.idempotency_key == invite_key(invite_id))
            .values(next_attempt_at=datetime.now(UTC))
        )
        db.session.commit()
