"""Backtest: the last N days of stored events replayed through the same steps, writing nothing.

Events stream in event-time order through a server-side cursor, a chunk at a time, with
their people's traits read per chunk (one query each): a million events cost a few hundred
queries and the memory of one chunk. Each event is judged as of the moment it would have
fired (its own time; for "N days after" and absence triggers, the close of its window, and
an absence only for people who did not convert), with the people's traits as they are today
(traits keep no history). Caps are simulated in memory in the order the engine claims them;
invites are counted per day of the workspace's calendar, as the daily budget is. On
PostgreSQL the transaction is READ ONLY, so the database itself refuses any write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Event, Profile, Recipe
from recipes.engine.caps import EVER, Cap, caps_for
from recipes.engine.explain import trigger_event_name
from recipes.engine.rows import EVENT_COLUMNS, EventRow, among
from recipes.engine.settings import workspace_rules
from recipes.engine.steps import Subject, judge
from recipes.engine.windows import without_conversion

CHUNK = 10_000
HELD_BACK = ("caps", "suppression", "screener", "conditions", "sampling")


@dataclass
class Replay:
    per_day: Counter[str] = field(default_factory=Counter)
    held_back: Counter[str] = field(default_factory=Counter)
    claims: dict[str, tuple[datetime, int]] = field(default_factory=dict)

    def claim(self, caps: Sequence[Cap], at: datetime) -> bool:
        """All the caps, or none: the in-memory twin of recipes.engine.claims."""
        for cap in caps:
            last = self.claims.get(cap.key)
            if last is None:
                continue
            if cap.budget is not None and last[1] >= cap.budget:
                return False
            if cap.budget is None and last[0] > at - (cap.window or EVER):
                return False
        for cap in caps:
            previous = self.claims.get(cap.key)
            self.claims[cap.key] = (
                at if cap.budget is None or previous is None else previous[0],
                (previous[1] if previous else 0) + 1,
            )
        return True


def backtest(session: Session, recipe: Recipe, days: int) -> dict[str, Any]:
    read_only(session)
    now = utcnow()
    rules = workspace_rules(session)
    zone = rules.zone
    definition, replay = recipe.definition, Replay()
    for event, traits, at in _fired(session, recipe, now - timedelta(days=days), now):
        subject = Subject(event.name, event.properties, event.occurred_at, event.profile_id, traits)
        verdict = judge(recipe.id, definition, subject, rules.suppression, rules.timezone, at)
        if verdict.failed is not None:
            replay.held_back[verdict.failed.step] += 1
        elif replay.claim(caps_for(definition, recipe.campaign_id, event.profile_id, rules, at), at):
            replay.per_day[f"{at.astimezone(zone):%Y-%m-%d}"] += 1
        else:
            replay.held_back["caps"] += 1
    return {
        "invites": sum(replay.per_day.values()),
        "per_day": [{"date": day, "invites": n} for day, n in sorted(replay.per_day.items())],
        "held_back": {step: replay.held_back[step] for step in HELD_BACK},
    }


def read_only(session: Session) -> None:
    """A fresh transaction the database will not let write (PostgreSQL); SQLite has no such mode."""
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET TRANSACTION READ ONLY"))


def _fired(
    session: Session, recipe: Recipe, since: datetime, now: datetime
) -> Iterator[tuple[EventRow, Mapping[str, Any], datetime]]:
    """(event, its person's traits, when it fires) for each trigger firing between `since` and `now`."""
    trigger = recipe.definition["trigger"]
    kind = trigger["type"]
    wait = timedelta(days=trigger.get("days") or trigger.get("within_days") or 0)
    stmt = (
        sa.select(*EVENT_COLUMNS)
        .where(
            Event.name == trigger_event_name(recipe),
            Event.occurred_at >= since - wait,
            Event.occurred_at <= now - wait,
        )
        .order_by(Event.occurred_at, Event.id)
        .execution_options(yield_per=CHUNK)
    )
    for chunk in session.execute(stmt).partitions():
        events = [EventRow(*row) for row in chunk]
        if kind == "absence":
            events = without_conversion(session, trigger, events)
        people = sorted({e.profile_id for e in events})
        found = session.execute(
            sa.select(Profile.id, Profile.traits).where(among(session, Profile.id, people))
        )
        traits: dict[int, dict[str, Any]] = {pid: t for pid, t in found}
        for event in events:
            yield event, traits.get(event.profile_id, {}), event.occurred_at + wait
