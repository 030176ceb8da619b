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

import json
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
from recipes.engine.rows import EventRow, among
from recipes.engine.settings import workspace_rules
from recipes.engine.steps import Subject, judge
from recipes.engine.windows import without_conversion

CHUNK = 10_000
KEPT = 200_000
"""People whose traits stay in memory across chunks."""
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
    recipe_id, campaign_id, definition = recipe.id, recipe.campaign_id, recipe.definition
    replay = Replay()
    for event, traits, at in fired(session, recipe, now - timedelta(days=days), now):
        subject = Subject(event.name, event.properties, event.occurred_at, event.profile_id, traits)
        verdict = judge(recipe_id, definition, subject, rules.suppression, rules.timezone, at)
        if verdict.failed is not None:
            replay.held_back[verdict.failed.step] += 1
        elif replay.claim(caps_for(definition, campaign_id, event.profile_id, rules, at), at):
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


def fired(
    session: Session, recipe: Recipe, since: datetime, now: datetime
) -> Iterator[tuple[EventRow, Mapping[str, Any], datetime]]:
    """(event, its person's traits, when it fires) for each trigger firing between `since` and `now`.

    Read through the Core connection as plain rows: properties as text for json.loads, and on
    PostgreSQL the times as the driver gives them (aware, whatever the session's zone), which
    is all the steps compare and format. A person's traits are read once, not once per event.
    """
    trigger = recipe.definition["trigger"]
    wait = timedelta(days=trigger.get("days") or trigger.get("within_days") or 0)
    connection = session.connection()
    occurred: Any = Event.occurred_at
    if connection.dialect.name == "postgresql":
        occurred = sa.type_coerce(Event.occurred_at, sa.DateTime(timezone=True))
    stmt = (
        sa.select(Event.id, Event.name, Event.profile_id, sa.cast(Event.properties, sa.Text), occurred)
        .where(
            Event.name == trigger_event_name(recipe),
            Event.occurred_at >= since - wait,
            Event.occurred_at <= now - wait,
        )
        .order_by(Event.occurred_at, Event.id)
        .execution_options(yield_per=CHUNK)
    )
    known: dict[int, Mapping[str, Any]] = {}
    for chunk in connection.execute(stmt).partitions():
        # received_at is not read here: an event's own time stands in for it
        events = [EventRow(i, name, pid, json.loads(props), at, at) for i, name, pid, props, at in chunk]
        if trigger["type"] == "absence":
            events = without_conversion(session, trigger, events)
        _learn_traits(session, known, {e.profile_id for e in events})
        for event in events:
            yield event, known.get(event.profile_id, {}), event.occurred_at + wait


def _learn_traits(session: Session, known: dict[int, Mapping[str, Any]], people: set[int]) -> None:
    """Adds the traits of those `people` not known yet, forgetting all once KEPT are known."""
    wanted = sorted(people.difference(known))
    if not wanted:
        return
    if len(known) + len(wanted) > KEPT:
        known.clear()
        wanted = sorted(people)
    found = session.connection().execute(
        sa.select(Profile.id, Profile.traits).where(among(session, Profile.id, wanted))
    )
    known.update({pid: traits for pid, traits in found.all()})
