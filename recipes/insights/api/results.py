"""Interview results as stored and synthesised: newest first, filtered by recipe, campaign,
profile, invite, quality and synthesis status."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, Field

from hub.api.common import Id, Page, get_or_404, matching
from hub.api.pagination import PageQuery, page
from hub.api.spec import BY_ID, answers, spec
from hub.models import InterviewResult

bp = Blueprint("results", __name__)


class ResultQuery(PageQuery):
    recipe_id: Id | None = None
    campaign_id: Id | None = None
    profile_id: Id | None = None
    invite_id: Id | None = None
    quality: int | None = Field(default=None, ge=1, le=5, description="exactly this quality score")
    min_quality: int | None = Field(default=None, ge=1, le=5, description="this quality score or better")
    status: Literal["pending", "done", "paused", "failed"] | None = Field(
        default=None, description="synthesis status"
    )


class ThemeOut(BaseModel):
    label: str
    confidence: float


class SentimentOut(BaseModel):
    label: str
    score: float


class QuoteOut(BaseModel):
    text: str = Field(description="exactly the respondent turn's characters start..end")
    turn: int
    start: int
    end: int


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cost_usd: float


class SynthesisOut(BaseModel):
    status: str = Field(description="pending, done, paused (the monthly spend limit) or failed")
    note: str | None
    engine: str | None = Field(description="claude or offline")
    model: str | None
    attempts: int
    synthesised_at: datetime | None
    usage: UsageOut


class ResultOut(BaseModel):
    id: int
    result_id: str = Field(description="the interview platform's own id")
    connection_id: int
    invite_id: int | None
    profile_id: int | None
    recipe_id: int | None
    campaign_id: int | None
    event_id: int | None
    attributed: bool
    unattributed_reason: str | None
    respondent: dict[str, Any]
    started_at: datetime | None
    completed_at: datetime
    transcript: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    themes: list[ThemeOut]
    sentiment: SentimentOut | None
    quotes: list[QuoteOut]
    quality: int | None
    quality_reason: str | None
    qualifying: bool | None = Field(description="quality at the threshold or above: counted in findings")
    synthesis: SynthesisOut
    created_at: datetime
    updated_at: datetime


def render(row: InterviewResult) -> dict[str, Any]:
    sentiment = (
        {"label": row.sentiment_label, "score": row.sentiment_score}
        if row.sentiment_label is not None
        else None
    )
    out = ResultOut(
        id=row.id,
        result_id=row.external_id,
        connection_id=row.connection_id,
        invite_id=row.invite_id,
        profile_id=row.profile_id,
        recipe_id=row.recipe_id,
        campaign_id=row.campaign_id,
        event_id=row.event_id,
        attributed=row.unattributed_reason is None,
        unattributed_reason=row.unattributed_reason,
        respondent=row.respondent,
        started_at=row.started_at,
        completed_at=row.completed_at,
        transcript=row.transcript,
        answers=row.answers,
        themes=[ThemeOut.model_validate(t) for t in row.themes],
        sentiment=SentimentOut.model_validate(sentiment) if sentiment else None,
        quotes=[QuoteOut.model_validate(q) for q in row.quotes],
        quality=row.quality,
        quality_reason=row.quality_reason,
        qualifying=row.qualifying,
        synthesis=SynthesisOut(
            status=row.synthesis_status,
            note=row.synthesis_note,
            engine=row.engine,
            model=row.model,
            attempts=row.synthesis_attempts,
            synthesised_at=row.synthesised_at,
            usage=UsageOut.model_validate(row, from_attributes=True),
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    return out.model_dump(mode="json")


@bp.get("/results")
@spec.validate(query=ResultQuery, resp=answers(200, Page[ResultOut]), tags=["results"])
def list_results() -> dict[str, Any]:
    query: ResultQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(InterviewResult)
    for column, value in (
        (InterviewResult.recipe_id, query.recipe_id),
        (InterviewResult.campaign_id, query.campaign_id),
        (InterviewResult.profile_id, query.profile_id),
        (InterviewResult.invite_id, query.invite_id),
    ):
        if value is not None:
            stmt = stmt.where(matching(column, value))
    if query.quality is not None:
        stmt = stmt.where(InterviewResult.quality == query.quality)
    if query.min_quality is not None:
        stmt = stmt.where(InterviewResult.quality >= query.min_quality)
    if query.status is not None:
        stmt = stmt.where(InterviewResult.synthesis_status == query.status)
    return page(stmt, InterviewResult.id, query, render)


@bp.get("/results/<id:result_id>")
@spec.validate(resp=answers(200, ResultOut, *BY_ID), tags=["results"])
def get_result(result_id: int) -> dict[str, Any]:
    return render(get_or_404(InterviewResult, result_id))
