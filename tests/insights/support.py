"""A campaign with one question of each type, a recipe, invites, and an interview platform that
posts results signed the way Standard Webhooks senders sign them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db
from hub.models import Event, Invite, Profile
from hub.models import InterviewResult as ResultRow
from tests.inbound.support import add_connection, dumps, standard_headers
from tests.recipes.support import source

QUESTIONS: list[dict[str, Any]] = [
    {"id": "why", "type": "open_ended", "text": "What held you back?"},
    {"id": "nps", "type": "scale", "text": "How likely are you to recommend us?", "min": 0, "max": 10},
    {"id": "plan", "type": "single_choice", "text": "Which plan?", "options": ["free", "pro", "team"]},
    {
        "id": "used",
        "type": "multiple_choice",
        "text": "What did you use?",
        "options": ["boards", "reports", "api"],
    },
    {"id": "order", "type": "ranking", "text": "Rank these", "options": ["price", "speed", "support"]},
    {"id": "back", "type": "yes_no", "text": "Would you come back?"},
]
ANSWERS: list[dict[str, Any]] = [
    {"question_id": "why", "type": "open_ended", "value": "Too expensive for us."},
    {"question_id": "nps", "type": "scale", "value": 4},
    {"question_id": "plan", "type": "single_choice", "value": "pro"},
    {"question_id": "used", "type": "multiple_choice", "value": ["boards", "api"]},
    {"question_id": "order", "type": "ranking", "value": ["price", "support", "speed"]},
    {"question_id": "back", "type": "yes_no", "value": False},
]
TRANSCRIPT: list[dict[str, str]] = [
    {"speaker": "interviewer", "text": "What made you stop after the trial?"},
    {"speaker": "respondent", "text": "Honestly the price was way too high for a team of three people."},
    {"speaker": "interviewer", "text": "Anything else that got in the way?"},
    {
        "speaker": "respondent",
        "text": "Setting it up took us two weeks because the onboarding was confusing. "
        "Support answered quickly though, which I appreciated.",
    },
]


class World:
    """One interviews connection, a campaign, a recipe, and invites to fresh people."""

    def __init__(self, app: Flask, api: FlaskClient, questions: list[dict[str, Any]] | None = None) -> None:
        self.app, self.api = app, api
        self.client = app.test_client()
        self.connection_id, generated = add_connection(app, "interviews", "platform")
        self.secret = str(generated["secret"])
        campaign = {
            "name": "Why did you not convert?",
            "interview_url": "https://interviews.example.com/trial",
            "channel": "webhook",
            "questions": QUESTIONS if questions is None else questions,
        }
        answer = api.post("/api/v1/campaigns", json=campaign)
        assert answer.status_code == 201, answer.json
        self.campaign_id = int(answer.json["id"])
        recipe = {
            "name": "Trial expired",
            "trigger": {"type": "event", "event": "trial_expired"},
            "campaign_id": self.campaign_id,
        }
        answer = api.post("/api/v1/recipes", json=recipe)
        assert answer.status_code == 201, answer.json
        self.recipe_id = int(answer.json["id"])
        self.events_connection = source(app)

    def invite(self, status: str = "sent", email: str | None = None) -> int:
        with self.app.app_context():
            profile = Profile(traits={"email": email} if email else {})
            db.session.add(profile)
            db.session.flush()
            event = Event(
                connection_id=self.events_connection,
                external_id=uuid.uuid4().hex,
                name="trial_expired",
                profile_id=profile.id,
                properties={},
                occurred_at=datetime.now(UTC),
            )
            db.session.add(event)
            db.session.flush()
            invite = Invite(
                profile_id=profile.id,
                campaign_id=self.campaign_id,
                recipe_id=self.recipe_id,
                event_id=event.id,
                status=status,
                due_at=datetime.now(UTC),
            )
            db.session.add(invite)
            db.session.commit()
            return invite.id

    def send(self, body: dict[str, Any] | bytes, msg_id: str | None = None) -> Any:
        raw = body if isinstance(body, bytes) else dumps(body)
        headers = standard_headers(self.secret, raw, msg_id or f"msg_{uuid.uuid4().hex}")
        return self.client.post(f"/hooks/interviews/{self.connection_id}", data=raw, headers=headers)

    def drain(self) -> None:
        assert self.app.extensions["journeyhub.jobs"].drain(timeout=60)

    def rows(self) -> list[ResultRow]:
        with self.app.app_context():
            return list(db.session.scalars(sa.select(ResultRow).order_by(ResultRow.id)))

    def invite_status(self, invite_id: int) -> str:
        with self.app.app_context():
            invite = db.session.get(Invite, invite_id)
            assert invite is not None
            return invite.status


def result(invite_id: int | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "result_id": f"res_{uuid.uuid4().hex[:10]}",
        "respondent": {"email": "ada@example.com", "name": "Ada"},
        "started_at": "2026-05-04T10:00:00Z",
        "completed_at": "2026-05-04T10:12:00Z",
        "transcript": TRANSCRIPT,
        "answers": ANSWERS,
    }
    if invite_id is not None:
        body["invite_id"] = invite_id
    body.update(changes)
    return body
