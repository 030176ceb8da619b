"""Asking the research a question (`POST /insights/ask`), the conversations kept, and an answer
saved as a note on a finding or sent as a result action."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.common import Id, Page, Text, UtcDateTime, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.config import current_settings
from hub.db import db
from hub.errors import ApiError
from hub.models import AskConversation, AskMessage, AskNote, Finding
from recipes.insights.ask import share
from recipes.insights.ask.filters import Filters
from recipes.insights.ask.service import Question, ask

bp = Blueprint("insights_ask", __name__)
TAGS = ["insights"]
SEGMENT = r"^traits\.[A-Za-z0-9_\-]{1,100}(\.[A-Za-z0-9_\-]{1,100}){0,4}=[^\x00]{0,200}$"


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(min_length=1, max_length=2000)
    conversation_id: Id | None = Field(
        default=None, description="a follow-up: keeps that conversation's filters"
    )
    recipe_id: Id | None = None
    journey_id: Id | None = Field(default=None, description="the recipes attached to the journey's stages")
    stage: int | None = Field(
        default=None, ge=0, le=1000, description="one stage of the journey (0 is the first)"
    )
    segment: str | None = Field(
        default=None, pattern=SEGMENT, description="people by a trait: traits.plan=team"
    )
    since: UtcDateTime | None = Field(default=None, description="interviews completed at or after")
    until: UtcDateTime | None = Field(default=None, description="interviews completed before")
    include_low_quality: bool | None = Field(
        default=None, description="also results below JOURNEYHUB_QUALITY_THRESHOLD (left out by default)"
    )


class CitationOut(BaseModel):
    result_id: int = Field(description="the result (GET /results/<id>)")
    turn: int = Field(description="the respondent turn of its transcript")
    start: int
    end: int
    quote: str = Field(description="exactly the turn's characters start..end")


class ThemeShareOut(BaseModel):
    label: str
    share: float = Field(description="of the interviews considered, the part that mentions the theme")
    interviews: int = Field(description="interviews considered that mention the theme")


class AnswerOut(BaseModel):
    answer: str = Field(description="[n] marks name the n-th citation")
    citations: list[CitationOut]
    themes: list[ThemeShareOut]
    interviews_considered: int
    engine: str = Field(description="claude or offline")
    note: str | None = Field(description="why the offline answer was given although a key is set")
    conversation_id: int
    message_id: int
    filters: dict[str, Any]


class MessageOut(BaseModel):
    id: int
    question: str
    filters: dict[str, Any]
    answer: dict[str, Any]
    engine: str
    created_at: datetime


class ConversationOut(BaseModel):
    id: int
    title: str
    filters: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    messages: list[MessageOut]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    finding_id: Id


class NoteOut(BaseModel):
    id: int
    finding_id: int
    message_id: int | None
    text: str
    citations: list[CitationOut]
    created_at: datetime


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connection_id: Id
    operation: Literal["post_message", "comment", "create_issue"]
    finding_id: Id | None = Field(default=None, description="a comment threads to this finding's issue")


class ActionOut(BaseModel):
    idempotency_key: str
    target: str
    status: str


@bp.post("/insights/ask")
@spec.validate(json=AskIn, resp=answers(200, AnswerOut, *BODY), tags=TAGS)
def ask_question() -> dict[str, Any]:
    body: AskIn = request.context.json  # type: ignore[attr-defined]
    named = body.model_fields_set - {"question", "conversation_id"}
    filters = Filters(
        recipe_id=body.recipe_id,
        journey_id=body.journey_id,
        stage=body.stage,
        segment=body.segment,
        since=body.since,
        until=body.until,
        include_low_quality=bool(body.include_low_quality),
    )
    if body.since and body.until and body.until <= body.since:
        details = [{"field": "until", "message": "must be after since"}]
        raise ApiError(400, "invalid_request", "invalid request: until", details)
    settings = current_settings()
    question = Question(body.question, filters, frozenset(named), body.conversation_id)
    return AnswerOut.model_validate(ask(db.session, settings, question)).model_dump(mode="json")


def render(conversation: AskConversation) -> dict[str, Any]:
    messages = db.session.scalars(
        sa.select(AskMessage).where(AskMessage.conversation_id == conversation.id).order_by(AskMessage.id)
    ).all()
    out = ConversationOut(
        id=conversation.id,
        title=conversation.title,
        filters=conversation.filters,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        messages=[MessageOut.model_validate(m, from_attributes=True) for m in messages],
    )
    return out.model_dump(mode="json")


@bp.get("/insights/conversations")
@spec.validate(query=PageQuery, resp=answers(200, Page[ConversationOut]), tags=TAGS)
def list_conversations() -> dict[str, Any]:
    query: PageQuery = request.context.query  # type: ignore[attr-defined]
    return page(sa.select(AskConversation), AskConversation.id, query, render)


@bp.get("/insights/conversations/<id:conversation_id>")
@spec.validate(resp=answers(200, ConversationOut, *BY_ID), tags=TAGS)
def get_conversation(conversation_id: int) -> dict[str, Any]:
    return render(get_or_404(AskConversation, conversation_id))


@bp.before_request
def _named_message_exists() -> None:
    """A message named in the path is looked up before the body is read (spectree reads it in
    the view's decorator): an unknown one is 404 whatever the body, as on every id route."""
    message_id = (request.view_args or {}).get("message_id")
    if message_id is not None:
        get_or_404(AskMessage, message_id)


def _finding(finding_id: int) -> Finding:
    return get_or_404(Finding, finding_id)


@bp.post("/insights/messages/<id:message_id>/note")
@spec.validate(json=NoteIn, resp=answers(201, NoteOut, *BODY, *BY_ID), tags=TAGS)
def save_note(message_id: int) -> tuple[dict[str, Any], int]:
    body: NoteIn = request.context.json  # type: ignore[attr-defined]
    message = get_or_404(AskMessage, message_id)
    saved: AskNote = share.note(db.session, message, _finding(body.finding_id))
    return NoteOut.model_validate(saved, from_attributes=True).model_dump(mode="json"), 201


@bp.post("/insights/messages/<id:message_id>/action")
@spec.validate(json=ActionIn, resp=answers(201, ActionOut, *BODY, *BY_ID), tags=TAGS)
def send_action(message_id: int) -> tuple[dict[str, Any], int]:
    body: ActionIn = request.context.json  # type: ignore[attr-defined]
    message = get_or_404(AskMessage, message_id)
    finding = _finding(body.finding_id) if body.finding_id is not None else None
    key, target = share.action(db.session, message, body.connection_id, body.operation, finding)
    return ActionOut(idempotency_key=key, target=target, status="pending").model_dump(), 201
