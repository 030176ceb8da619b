"""Time triggers, fired by a periodic job when their window closes, measured in event time.

"after": N days after event X. "absence": X happened and Y did not follow within N days.
A window closes at X's `occurred_at` + N days; a recipe fires only for windows that close
after it was created, unless its trigger asks to `backfill`. Each run costs two queries per
time-triggered recipe (the closed windows not yet decided, and the people's Y events),
whatever the number of events; decisions are unique per event x recipe, so a tick that runs
twice decides nothing twice.

A conversion that arrives late is handled by recipes.engine.conversions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import insert_ignore, utcnow
from hub.models import Decision, Event, Recipe
from recipes.engine import rows
from recipes.engine.engine import Tally, decide
from recipes.engine.rows import EventRow, RecipeRow

TIME_TRIGGERS = ("after", "absence")
PER_RUN = 2000


def fire_closed_windows(session: Session, now: datetime | None = None) -> Tally:
    now = now or utcnow()
    tally = Tally()
    timed = sa.or_(*(Recipe.trigger_key.startswith(f"{kind}:") for kind in TIME_TRIGGERS))
    for recipe in rows.recipes(session, timed):
        events = _closed_windows(session, recipe, now)
        if recipe.definition["trigger"]["type"] == "absence":
            events = _without_conversion(session, recipe, events)
        decided = decide(session, [(event, recipe) for event in events], now, tally)
        if decided:
            session.execute(insert_ignore(session, Decision), decided)
        session.commit()
    return tally


def _closed_windows(session: Session, recipe: RecipeRow, now: datetime) -> list[EventRow]:
    trigger = recipe.definition["trigger"]
    days = timedelta(days=trigger["days"] if trigger["type"] == "after" else trigger["within_days"])
    criteria = [
        Event.name == trigger["event"],
        Event.occurred_at <= now - days,
        ~sa.exists().where(Decision.event_id == Event.id, Decision.recipe_id == recipe.id),
    ]
    if not trigger.get("backfill"):
        criteria.append(Event.occurred_at >= recipe.created_at - days)
    return rows.events(session, *criteria, limit=PER_RUN)


def _without_conversion(session: Session, recipe: RecipeRow, events: Sequence[EventRow]) -> list[EventRow]:
    """The X events whose person did not do Y within the window."""
    if not events:
        return []
    trigger = recipe.definition["trigger"]
    window = timedelta(days=trigger["within_days"])
    converted: dict[int, list[datetime]] = {}
    found = session.execute(
        sa.select(Event.profile_id, Event.occurred_at).where(
            Event.name == trigger["missing"],
            Event.profile_id.in_(sorted({e.profile_id for e in events})),
            Event.occurred_at >= min(e.occurred_at for e in events),
        )
    )
    for profile_id, at in found:
        converted.setdefault(profile_id, []).append(at)
    return [
        e
        for e in events
        if not any(e.occurred_at <= at <= e.occurred_at + window for at in converted.get(e.profile_id, ()))
    ]
