"""Which interviews a question is about, as one WHERE clause over `interview_results`.

Recipe, the recipes of a journey (or of one of its stages), a segment of people by one trait
(`traits.plan=team`), and the time the interview was completed in [since, until). Results
below the quality threshold, and those not yet synthesised, are left out unless asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.api.common import fits
from hub.errors import ApiError
from hub.models import InterviewResult, Journey, Profile
from recipes.journeys.sql import JsonValue


@dataclass(frozen=True)
class Filters:
    recipe_id: int | None = None
    journey_id: int | None = None
    stage: int | None = None
    segment: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_low_quality: bool = False

    def stored(self) -> dict[str, Any]:
        """As JSON, for a conversation to keep."""
        out = asdict(self)
        for name in ("since", "until"):
            if out[name] is not None:
                out[name] = out[name].isoformat()
        return out

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> Filters:
        values = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        for name in ("since", "until"):
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


def recipes_of(session: Session, filters: Filters) -> list[int] | None:
    """The recipes the question covers: the one named, those of the journey (or its stage), or None for all."""
    if filters.journey_id is None:
        if filters.stage is not None:
            raise ApiError(
                400, "invalid_journey", "stage: needs journey_id", _detail("stage", "needs journey_id")
            )
        return None if filters.recipe_id is None else [filters.recipe_id]
    journey = session.get(Journey, filters.journey_id) if fits(Journey.id, filters.journey_id) else None
    if journey is None:
        raise ApiError(
            400, "invalid_journey", "journey_id: no such journey", _detail("journey_id", "no such journey")
        )
    stages = list(journey.definition.get("stages") or [])
    if filters.stage is not None:
        if filters.stage >= len(stages):
            message = f"the journey has {len(stages)} stages (0 to {len(stages) - 1})"
            raise ApiError(400, "invalid_journey", f"stage: {message}", _detail("stage", message))
        stages = [stages[filters.stage]]
    ids = {int(s["recipe_id"]) for s in stages if s.get("recipe_id")}
    if filters.recipe_id is not None:
        ids &= {filters.recipe_id}
    return sorted(ids)


def where(session: Session, filters: Filters) -> sa.ColumnElement[bool]:
    """The condition on InterviewResult (joined to nothing: the segment is a subquery on profiles)."""
    clauses: list[sa.ColumnElement[bool]] = []
    recipes = recipes_of(session, filters)
    if recipes is not None:
        recipes = [r for r in recipes if fits(InterviewResult.recipe_id, r)]
        clauses.append(InterviewResult.recipe_id.in_(recipes) if recipes else sa.false())
    if not filters.include_low_quality:
        clauses.append(InterviewResult.qualifying.is_(True))
    if filters.since is not None:
        clauses.append(InterviewResult.completed_at >= filters.since)
    if filters.until is not None:
        clauses.append(InterviewResult.completed_at < filters.until)
    if filters.segment:
        clauses.append(_segment(session, filters.segment))
    return sa.and_(sa.true(), *clauses)


def _segment(session: Session, segment: str) -> sa.ColumnElement[bool]:
    path, _, value = segment.partition("=")
    keys = path.split(".")[1:]
    trait = JsonValue(session.get_bind().dialect.name, Profile.traits, keys)
    people = sa.select(Profile.id).where(trait.as_text() == value)
    return InterviewResult.profile_id.in_(people)


def _detail(field: str, message: str) -> list[dict[str, str]]:
    return [{"field": field, "message": message}]
