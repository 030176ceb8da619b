"""Findings per recipe and period: each theme's share of the qualifying interviews, its status,
sentiment, representative quotes with their provenance, and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, Field

from hub.api.common import Id, Page, get_or_404, matching
from hub.api.pagination import PageQuery, page
from hub.api.spec import BY_ID, answers, spec
from hub.db import db
from hub.models import Finding, FindingChange, FindingPoint

bp = Blueprint("findings", __name__)
HISTORY_POINTS = 90


class FindingQuery(PageQuery):
    recipe_id: Id | None = None
    status: Literal["finding", "emerging"] | None = None
    period: str = Field(
        default="all",
        pattern=r"^(all|[0-9]{4}-(0[1-9]|1[0-2]))$",
        description="`all` (default) or a calendar month, YYYY-MM",
    )


class PointOut(BaseModel):
    at: datetime
    share: float
    interviews: int
    mentions: int


class FindingQuoteOut(BaseModel):
    text: str
    result_id: int = Field(description="the result's id in this API (GET /results/<id>)")
    turn: int
    start: int
    end: int


class ChangeOut(BaseModel):
    id: int
    kind: str = Field(description="appeared, moved or receded")
    share_before: float | None
    share: float
    interviews: int
    result_id: int | None
    at: datetime


class FindingOut(BaseModel):
    id: int
    recipe_id: int
    period: str
    theme: str
    share: float
    interviews: int = Field(description="qualifying interviews of the recipe in the period")
    mentions: int
    sentiment: float = Field(description="average sentiment score of the interviews that mention it")
    quotes: list[FindingQuoteOut]
    status: str
    first_seen_at: datetime
    updated_at: datetime
    history: list[PointOut]
    changes: list[ChangeOut]


def render(finding: Finding) -> dict[str, Any]:
    points = db.session.scalars(
        sa.select(FindingPoint)
        .where(FindingPoint.finding_id == finding.id)
        .order_by(FindingPoint.day.desc())
        .limit(HISTORY_POINTS)
    ).all()
    changes = db.session.scalars(
        sa.select(FindingChange).where(FindingChange.finding_id == finding.id).order_by(FindingChange.id)
    ).all()
    out = FindingOut(
        id=finding.id,
        recipe_id=finding.recipe_id,
        period=finding.period,
        theme=finding.theme,
        share=finding.share,
        interviews=finding.interviews,
        mentions=finding.mentions,
        sentiment=round(finding.sentiment_sum / finding.mentions, 3) if finding.mentions else 0.0,
        quotes=[FindingQuoteOut.model_validate(q) for q in finding.quotes],
        status=finding.status,
        first_seen_at=finding.first_seen_at,
        updated_at=finding.updated_at,
        history=[PointOut.model_validate(p, from_attributes=True) for p in reversed(points)],
        changes=[ChangeOut.model_validate(c, from_attributes=True) for c in changes],
    )
    return out.model_dump(mode="json")


@bp.get("/findings")
@spec.validate(query=FindingQuery, resp=answers(200, Page[FindingOut]), tags=["findings"])
def list_findings() -> dict[str, Any]:
    query: FindingQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Finding).where(Finding.period == query.period)
    if query.recipe_id is not None:
        stmt = stmt.where(matching(Finding.recipe_id, query.recipe_id))
    if query.status is not None:
        stmt = stmt.where(Finding.status == query.status)
    return page(stmt, Finding.id, query, render)


@bp.get("/findings/<id:finding_id>")
@spec.validate(resp=answers(200, FindingOut, *BY_ID), tags=["findings"])
def get_finding(finding_id: int) -> dict[str, Any]:
    return render(get_or_404(Finding, finding_id))
