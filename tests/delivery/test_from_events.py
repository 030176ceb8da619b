"""From a stored event to a delivered invite: the engine's transaction writes the outbox row with the invite."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db, utcnow
from hub.models import Invite, Outbox
from hub.outbox.outcomes import CONFIG_KEY
from recipes.campaigns.queue import promote_due
from tests.channels.conftest import Sink
from tests.delivery.conftest import invite_row, outbox_row, webhook_campaign
from tests.delivery.test_delivery import run_drain
from tests.recipes.conftest import add_recipe
from tests.recipes.support import journey_event, store


def test_an_event_that_passes_a_recipe_is_delivered_with_its_context(
    app: Flask, api: FlaskClient, sink: Sink
) -> None:
    seeded = webhook_campaign(app, sink.url, context=["plan"])
    add_recipe(api, seeded.campaign_id)
    store(app, seeded.connection_id, journey_event("trial_expired", "u1", {"cart_value": 80}, plan="team"))
    run_drain(app)
    (seen,) = sink.received
    body = seen.json()
    assert body["context"] == {
        "plan": "team",
        "event": "trial_expired",
        "recipe": "Trial expired without converting",
    }
    invite_id = body["invite"]["id"]
    assert seen.headers["Webhook-Id"] == f"invite-{invite_id}"
    assert invite_row(app, invite_id).status == "sent"


def test_the_engine_writes_the_outbox_row_with_the_pending_invite(
    app: Flask, api: FlaskClient, sink: Sink
) -> None:
    app.config[CONFIG_KEY] = {"batch": 0}  # no worker takes rows: what the engine committed stays visible
    seeded = webhook_campaign(app, sink.url)
    add_recipe(api, seeded.campaign_id)
    store(app, seeded.connection_id, journey_event("trial_expired", "u1", {"cart_value": 80}))
    with app.app_context():
        (invite,) = db.session.scalars(sa.select(Invite))
        (row,) = db.session.scalars(sa.select(Outbox))
        assert invite.status == "pending"
        assert (row.kind, row.idempotency_key, row.payload) == (
            "invite",
            f"invite-{invite.id}",
            {"invite_id": invite.id},
        )
        assert (row.status, row.attempts, row.target) == ("pending", 0, f"webhook:{seeded.connection_id}")
    assert sink.received == []


def test_a_delayed_invite_waits_scheduled_then_is_queued_and_sent_when_due(
    app: Flask, api: FlaskClient, sink: Sink
) -> None:
    seeded = webhook_campaign(app, sink.url)
    add_recipe(api, seeded.campaign_id, delay_minutes=60)
    store(app, seeded.connection_id, journey_event("trial_expired", "u1", {"cart_value": 80}))
    with app.app_context():
        (invite,) = db.session.scalars(sa.select(Invite))
        invite_id = invite.id
        assert invite.status == "scheduled"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Outbox)) == 0
        assert promote_due(db.session, utcnow()) == 0
        assert promote_due(db.session, utcnow() + timedelta(minutes=61)) == 1
        assert promote_due(db.session, utcnow() + timedelta(minutes=61)) == 0
    run_drain(app)
    assert invite_row(app, invite_id).status == "sent"
    assert outbox_row(app, invite_id).status == "sent"
    assert [seen.headers["Webhook-Id"] for seen in sink.received] == [f"invite-{invite_id}"]
