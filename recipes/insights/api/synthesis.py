"""`GET /synthesis`: which synthesiser runs, this month's Claude spend against its limit, and
whether synthesis is paused (and why), with the results waiting in each state."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from pydantic import BaseModel, Field

from hub.api.spec import answers, spec
from hub.config import current_settings
from hub.db import db, utcnow
from hub.models import InterviewResult
from recipes.insights import spend

bp = Blueprint("synthesis", __name__)


class SynthesisStatus(BaseModel):
    engine: str = Field(description="claude when ANTHROPIC_API_KEY is set, else offline")
    model: str | None
    month: str
    spent_usd: float
    limit_usd: float
    paused: bool
    reason: str | None = Field(description="why synthesis is paused, in words")
    results: dict[str, int] = Field(description="results by synthesis status")


@bp.get("/synthesis")
@spec.validate(resp=answers(200, SynthesisStatus), tags=["results"])
def synthesis_status() -> dict[str, Any]:
    settings = current_settings()
    now = utcnow()
    online = settings.anthropic_api_key is not None and bool(settings.anthropic_api_key.get_secret_value())
    limit = settings.journeyhub_synthesis_monthly_limit_usd
    reason = spend.refusal(db.session, limit, now) if online else None
    counts = db.session.execute(
        sa.select(InterviewResult.synthesis_status, sa.func.count()).group_by(
            InterviewResult.synthesis_status
        )
    )
    status = SynthesisStatus(
        engine="claude" if online else "offline",
        model=settings.journeyhub_synthesis_model if online else None,
        month=f"{now:%Y-%m}",
        spent_usd=round(spend.spent(db.session, now), 6),
        limit_usd=limit,
        paused=reason is not None,
        reason=reason,
        results={state: count for state, count in counts},
    )
    return status.model_dump(mode="json")
