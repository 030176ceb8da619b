"""Events and recipes as the engine reads them: plain frozen rows, not ORM objects.

The engine commits each invite in its own transaction and rolls back a capped claim; ORM
objects would be expired by each rollback and reloaded one query at a time when next read.
Plain rows are read once per batch and stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Event, Recipe


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    name: str
    profile_id: int
    properties: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class RecipeRow:
    id: int
    version: int
    campaign_id: int
    trigger_key: str
    definition: dict[str, Any]
    created_at: datetime


EVENT_COLUMNS = (Event.id, Event.name, Event.profile_id, Event.properties, Event.occurred_at)
RECIPE_COLUMNS = (
    Recipe.id,
    Recipe.version,
    Recipe.campaign_id,
    Recipe.trigger_key,
    Recipe.definition,
    Recipe.created_at,
)


def events(session: Session, *criteria: sa.ColumnElement[bool], limit: int | None = None) -> list[EventRow]:
    stmt = sa.select(*EVENT_COLUMNS).where(*criteria).order_by(Event.id).limit(limit)
    return [EventRow(*row) for row in session.execute(stmt)]


def recipes(session: Session, *criteria: sa.ColumnElement[bool]) -> list[RecipeRow]:
    stmt = sa.select(*RECIPE_COLUMNS).where(Recipe.enabled.is_(True), *criteria).order_by(Recipe.id)
    return [RecipeRow(*row) for row in session.execute(stmt)]
