"""Saving journeys: validated like recipes, with the rules only the database or the whole body can judge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.db import db, utcnow
from hub.models import Journey, Recipe
from recipes.engine.problems import Problem
from recipes.journeys.schema import JourneyIn

MAX_RULES = 200
MAX_VALUES = 2000
"""Per journey: every rule and value becomes part of one SQL statement, with a bound parameter
per value, and databases cap those (SQLite at 32,766)."""


def check_journey(body: JourneyIn) -> None:
    """Problem naming the first value at fault."""
    rules = values = 0
    for index, stage in enumerate(body.stages):
        if stage.conditions is not None:
            more_rules, more_values = _size(stage.conditions.model_dump(mode="json"))
            rules, values = rules + more_rules, values + more_values
            if rules > MAX_RULES or values > MAX_VALUES:
                message = (
                    f"a journey's conditions hold at most {MAX_RULES} rules and {MAX_VALUES} values in all"
                )
                raise Problem("invalid_journey", f"stages[{index}].conditions", message)
    if body.stages[0].intended_rate is not None:
        raise Problem(
            "invalid_journey",
            "stages[0].intended_rate",
            "the first stage has no stage before it to convert from; leave intended_rate out",
        )
    for index, stage in enumerate(body.stages):
        if stage.recipe_id is not None and db.session.get(Recipe, stage.recipe_id) is None:
            raise Problem("unknown_recipe", f"stages[{index}].recipe_id", f"no recipe {stage.recipe_id}")


def _size(condition: dict[str, Any]) -> tuple[int, int]:
    """(rules, values) in a condition tree."""
    parts = condition.get("all") or condition.get("any")
    if parts is not None:
        sizes = [_size(part) for part in parts]
        return sum(r for r, _ in sizes), sum(v for _, v in sizes)
    value = condition.get("value")
    return 1, len(value) if isinstance(value, list) else 1


def save_journey(body: JourneyIn, journey: Journey | None = None, now: datetime | None = None) -> Journey:
    """Creates or replaces the journey. Replacing starts its alerts afresh: the rates told before
    described stages that may no longer exist."""
    check_journey(body)
    now = now or utcnow()
    if journey is None:
        journey = Journey(created_at=now, next_snapshot_at=now)
        db.session.add(journey)
    journey.name = body.name
    journey.definition = body.model_dump(mode="json")
    journey.announced = {}
    journey.updated_at = now
    db.session.commit()
    return journey


def definition(journey: Journey) -> JourneyIn:
    return JourneyIn.model_validate(journey.definition)
