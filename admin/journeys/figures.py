"""A journey's figures for its page: the funnel as the API answers it, and each stage's rate per snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.db import db, utcnow
from hub.models import Journey, JourneySnapshot
from recipes.journeys.funnel import measure
from recipes.journeys.overlay import rows
from recipes.journeys.reasons import findings_by_recipe
from recipes.journeys.schema import JourneyIn

SNAPSHOTS = 60
"""The newest snapshots drawn: two months of the daily default."""


def funnel(journey: Journey, since: datetime, segment: str | None) -> dict[str, Any]:
    """What GET /journeys/<id>/funnel?since=&segment= answers: stages with their findings, and per segment value."""
    spec = JourneyIn.model_validate(journey.definition)
    measured = measure(db.session, spec, since, utcnow(), segment)
    findings = findings_by_recipe(db.session, (stage.recipe_id for stage in spec.stages))
    stages = rows(spec, measured.stages, findings)
    segments = [{"value": value, "stages": rows(spec, figures, None)} for value, figures in measured.segments]
    return {"stages": stages, "segments": segments, "first": stages[0]["entered"] if stages else 0}


def rate_history(journey_id: int) -> dict[str, Any]:
    """`{"labels": [taken_at…], "series": {"Cart → Checkout": [0.41, …]}}`, oldest first, in percent."""
    taken = db.session.scalars(
        sa.select(JourneySnapshot)
        .where(JourneySnapshot.journey_id == journey_id)
        .order_by(JourneySnapshot.taken_at.desc())
        .limit(SNAPSHOTS)
    ).all()[::-1]
    series: dict[str, list[float]] = {}
    for index, snapshot in enumerate(taken):
        for stage in snapshot.stages:
            if stage.get("next") is None:
                continue
            line = series.setdefault(f"{stage['name']} → {stage['next']}", [0.0] * len(taken))
            line[index] = round((stage.get("actual_rate") or 0.0) * 100, 1)
    return {"labels": [s.taken_at.strftime("%Y-%m-%d %H:%M") for s in taken], "series": series}
