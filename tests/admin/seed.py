"""A small workspace the admin pages can show: a source, events through the engine, a campaign and
recipe, invites, a result with themes and quotes, a finding, a run, and a dead outbox row.

The generic connection that delivers the invites has no url yet, so every invite fails; the
first one is marked dead, as if its receiver had been down through every retry. Setting the
url and replaying it is the story the outbox tests tell.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from connectors.sdk import JourneyEvent
from hub.api.auth import create_token
from hub.connections import create_connection
from hub.db import db, utcnow
from hub.inbound.store import commit_events
from hub.models import Campaign, Finding, InterviewResult, Outbox, Recipe, Run, RunStep

CAMPAIGN = {
    "name": "Why did you not convert?",
    "interview_url": "https://interviews.example.com/trial",
    "channel": "webhook",
    "subject": "A question, {{ traits.first_name | default('there') }}",
    "body": "Hi {{ traits.first_name }}, we would love to hear about your trial: {{ link }}",
    "context": ["plan"],
    "questions": [{"id": "why", "type": "open_ended", "text": "What held you back?"}],
}
RECIPE = {
    "name": "Trial expired without converting",
    "trigger": {"type": "event", "event": "trial_expired"},
    "conditions": {"all": [{"field": "properties.cart_value", "op": "gt", "value": 50}]},
}


@dataclass
class Seeded:
    source_id: int
    campaign_id: int
    recipe_id: int
    profile_id: int
    dead_id: int
    run_id: int
    finding_id: int
    result_id: int


def seed(app: Flask, events: int = 3) -> Seeded:
    """Campaign and recipe go through the API, events through ingest and the engine: no shortcuts there."""
    with app.app_context():
        token = create_token("seed")
        db.session.commit()
        source = create_connection("generic", f"web-{uuid.uuid4().hex[:6]}", {}).connection
        db.session.commit()
        source_id = source.id
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    campaign = api.post("/api/v1/campaigns", json={**CAMPAIGN, "connection_id": source_id})
    assert campaign.status_code == 201, campaign.json
    recipe = api.post("/api/v1/recipes", json={**RECIPE, "campaign_id": campaign.json["id"]})
    assert recipe.status_code == 201, recipe.json
    stored = _events(app, source_id, events)
    with app.app_context():
        recipe_row = db.session.get(Recipe, recipe.json["id"])
        assert recipe_row is not None and db.session.get(Campaign, campaign.json["id"]) is not None
        ids = _rows(source_id, recipe_row.id, campaign.json["id"], stored[0])
    return Seeded(source_id, campaign.json["id"], recipe.json["id"], *ids)


def _events(app: Flask, source_id: int, count: int) -> list[int]:
    events = [
        JourneyEvent(
            external_id=uuid.uuid4().hex,
            name="trial_expired",
            identities={"user_id": f"user-{n}", "email": f"user{n}@example.com"},
            occurred_at=utcnow() - timedelta(minutes=n),
            properties={"cart_value": 80 + n},
            traits={"first_name": f"Person {n}", "plan": "pro"},
        )
        for n in range(count)
    ]
    with app.app_context():
        stored = commit_events(db.session, source_id, events)
    assert app.extensions["journeyhub.jobs"].drain(timeout=60)
    return list(stored.event_ids)


def _rows(source_id: int, recipe_id: int, campaign_id: int, event_id: int) -> tuple[int, ...]:
    from hub.models import Event

    event = db.session.get(Event, event_id)
    assert event is not None
    dead = db.session.scalars(sa.select(Outbox).where(Outbox.kind == "invite").order_by(Outbox.id)).first()
    assert dead is not None, "the engine queued no invite"
    dead.status = "dead"
    dead.last_error = "503 Service Unavailable from the receiver (as if every retry found it down)"
    run = Run(kind="evaluate", subject="events", status="succeeded", stats={"event_ids": [event_id]})
    run.steps.append(RunStep(name="conditions", status="succeeded", detail={"passed": 1}))
    finding = Finding(
        recipe_id=recipe_id,
        period="2026-11",
        theme="Pricing is unclear",
        mentions=7,
        interviews=5,
        share=0.6,
        status="finding",
        quotes=[{"text": "I never knew what the pro plan would cost."}],
    )
    result = InterviewResult(
        connection_id=source_id,
        external_id=uuid.uuid4().hex,
        profile_id=event.profile_id,
        recipe_id=recipe_id,
        campaign_id=campaign_id,
        completed_at=utcnow(),
        transcript=[
            {"speaker": "interviewer", "text": "What held you back?"},
            {"speaker": "respondent", "text": "I never knew what the pro plan would cost."},
        ],
        themes=[{"label": "Pricing is unclear", "confidence": 0.9}],
        sentiment_label="negative",
        quotes=[{"text": "I never knew what the pro plan would cost.", "turn": 1}],
        quality=4,
        synthesis_status="done",
    )
    db.session.add_all([run, finding, result])
    db.session.commit()
    return event.profile_id, dead.id, run.id, finding.id, result.id
