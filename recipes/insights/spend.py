"""The monthly spend limit on Claude: every call's cost is in `synthesis_calls`, and synthesis
pauses, saying so, once this calendar month's (UTC) sum reaches the limit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import SynthesisCall


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(now: datetime) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def spent(session: Session, now: datetime | None = None) -> float:
    since = month_start(now or utcnow())
    total = session.scalar(sa.select(sa.func.sum(SynthesisCall.cost_usd)).where(SynthesisCall.at >= since))
    return float(total or 0.0)


def refusal(session: Session, limit_usd: float, now: datetime | None = None) -> str | None:
    """Why Claude may not be called now, or None while this month's spend is under the limit."""
    now = now or utcnow()
    used = spent(session, now)
    if used < limit_usd:
        return None
    return (
        f"synthesis paused: this month's Claude spend ${used:.2f} reached the limit of ${limit_usd:.2f} "
        f"(JOURNEYHUB_SYNTHESIS_MONTHLY_LIMIT_USD); it resumes on {next_month(now):%Y-%m-%d} "
        "or when the limit is raised"
    )
