"""One recipe over time: per day, the events that set it off, the invites, the completed
interviews and the findings first seen, each one grouped count over an indexed range."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from hub.db import db, utcnow
from hub.models import Decision, Finding, InterviewResult, Invite

DAYS = 30
SERIES = (
    ("Trigger events", Decision, Decision.at),
    ("Invites", Invite, Invite.created_at),
    ("Completed interviews", InterviewResult, InterviewResult.completed_at),
    ("Findings", Finding, Finding.first_seen_at),
)


def recipe_timeline(recipe_id: int, days: int = DAYS) -> dict[str, Any]:
    """`{"days": ["2026-11-01", …], "series": {"Invites": [3, 0, …], …}}`, oldest day first."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    labels = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    since = datetime.combine(first, time.min, tzinfo=UTC)
    series = {}
    for label, model, column in SERIES:
        counted = _per_day(model, column, recipe_id, since)
        series[label] = [counted.get(day, 0) for day in labels]
    return {"days": labels, "series": series}


def _per_day(model: Any, column: Any, recipe_id: int, since: datetime) -> dict[str, int]:
    day = sa.func.date(column)
    stmt = (
        sa.select(day, sa.func.count())
        .select_from(model)
        .where(model.recipe_id == recipe_id, column >= since)
        .group_by(day)
    )
    return {_iso(value): int(count) for value, count in db.session.execute(stmt)}


def _iso(value: date | str) -> str:
    """SQLite answers date() as text, PostgreSQL as a date."""
    return value if isinstance(value, str) else value.isoformat()
