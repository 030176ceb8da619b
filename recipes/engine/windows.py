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

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Decision, Event, Recipe
from recipes.engine import rows
from recipes.engine.engine import DECISIONS, Tally, decide
from recipes.engine.retry import retried
from recipes.engine.rows import EventRow, RecipeRow, among, write_rows

TIME_TRIGGERS = ("after", "absence")
PER_RUN = 2000


def fire_closed_windows(session: Session, now: datetime | None = None) -> Tally:
    now = now or utcnow()
    tally = Tally()
    timed = sa.or_(*(Recipe.trigger_key.startswith(f"{kind}:") for kind in TIME_TRIGGERS))
    for recipe in rows.recipes(session, timed):
        tally.add(retried(session, partial(_fire, session, recipe, now)))
    return tally


def _fire(session: Session, recipe: RecipeRow, now: datetime) -> Tally:
    tally = Tally()
    events = _closed_windows(session, recipe, now)
    if recipe.definition["trigger"]["type"] == "absence":
        events = without_conversion(session, recipe.definition["trigger"], events)
    decided = decide(session, [(event, recipe) for event in events], now, tally)
    if decided:
        write_rows(session, DECISIONS, decided, lambda stmt: stmt.on_conflict_do_nothing())
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


def without_conversion(
    session: Session, trigger: Mapping[str, Any], events: Sequence[EventRow]
) -> list[EventRow]:
    """The X events whose person did not do Y within the window (the backtest asks the same)."""
    if not events:
        return []
    window = timedelta(days=trigger["within_days"])
    converted: dict[int, list[datetime]] = {}
    found = session.execute(
        sa.select(Event.profile_id, Event.occurred_at).where(
            Event.name == trigger["missing"],
            among(session, Event.profile_id, sorted({e.profile_id for e in events})),
            Event.occurred_at >= min(e.occurred_at for e in events),
            Event.occurred_at <= max(e.occurred_at for e in events) + window,
        )
    )
    for profile_id, at in found:
        converted.setdefault(profile_id, []).append(at)
    return [
        e
        for e in events
        if not any(e.occurred_at <= at <= e.occurred_at + window for at in converted.get(e.profile_id, ()))
    ]
