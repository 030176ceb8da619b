"""Events: the journey events as stored, newest first, filtered by connection, name, profile and time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, Field

from hub.api.common import Id, Page, Text, UtcDateTime, fits, get_or_404, matching
from hub.api.pagination import PageQuery, page
from hub.api.spec import BY_ID, answers, spec
from hub.db import db
from hub.inbound.identity import current_profile_id
from hub.models import Event, Profile

bp = Blueprint("events", __name__)


class EventQuery(PageQuery):
    connection_id: Id | None = None
    name: Text | None = Field(default=None, max_length=200)
    profile_id: Id | None = Field(default=None, description="a merged-away id finds its survivor's events")
    since: UtcDateTime | None = Field(
        default=None, description="occurred at or after (ISO 8601; UTC when no offset)"
    )
    until: UtcDateTime | None = Field(
        default=None, description="occurred before (ISO 8601; UTC when no offset)"
    )


class EventOut(BaseModel):
    id: int
    connection_id: int
    external_id: str
    name: str
    profile_id: int
    properties: dict[str, Any]
    occurred_at: datetime
    received_at: datetime


def render(event: Event) -> dict[str, Any]:
    return EventOut.model_validate(event, from_attributes=True).model_dump(mode="json")


@bp.get("/events")
@spec.validate(query=EventQuery, resp=answers(200, Page[EventOut]), tags=["events"])
def list_events() -> dict[str, Any]:
    query: EventQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Event)
    if query.connection_id is not None:
        stmt = stmt.where(matching(Event.connection_id, query.connection_id))
    if query.name is not None:
        stmt = stmt.where(Event.name == query.name)
    if (profile_id := query.profile_id) is not None:
        if fits(Profile.id, profile_id):
            profile_id = current_profile_id(db.session, profile_id) or profile_id
        stmt = stmt.where(matching(Event.profile_id, profile_id))
    if query.since is not None:
        stmt = stmt.where(Event.occurred_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(Event.occurred_at < query.until)
    return page(stmt, Event.id, query, render)


@bp.get("/events/<id:event_id>")
@spec.validate(resp=answers(200, EventOut, *BY_ID), tags=["events"])
def get_event(event_id: int) -> dict[str, Any]:
    return render(get_or_404(Event, event_id))
