"""Backtest: the last N days of stored events replayed through the same steps, writing nothing.

Caps are simulated in memory in the same order the engine claims them. Conditions see each
event's own time as "now" and the people's traits as they are today (traits keep no
history). Events are streamed in chunks with their people's traits read per chunk, so a
million events cost a few hundred queries and bounded memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Event, Profile, Recipe
from recipes.engine.caps import EVER, Cap, caps_for
from recipes.engine.engine import workspace_rules
from recipes.engine.explain import trigger_event_name
from recipes.engine.steps import Subject, judge

CHUNK = 5000
HELD_BACK = ("caps", "suppression", "screener", "conditions", "sampling")


@dataclass
class Replay:
    per_day: Counter[str] = field(default_factory=Counter)
    held_back: Counter[str] = field(default_factory=Counter)
    claims: dict[str, tuple[datetime, int]] = field(default_factory=dict)

    def claim(self, caps: Sequence[Cap], at: datetime) -> bool:
        """All the caps, or none: the in-memory twin of recipes.engine.caps.first_refused."""
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
    now = utcnow()
    rules = workspace_rules(session)
    replay = Replay()
    for event, traits in _events(session, trigger_event_name(recipe), now - timedelta(days=days)):
        subject = Subject(event.name, event.properties, event.occurred_at, event.profile_id, traits)
        verdict = judge(
            recipe.id, recipe.definition, subject, rules.suppression, rules.timezone, event.occurred_at
        )
        if verdict.failed is not None:
            replay.held_back[verdict.failed.step] += 1
            continue
        at = event.occurred_at
        caps = caps_for(recipe.definition, recipe.campaign_id, event.profile_id, rules.per_person_days, at)
        if replay.claim(caps, at):
            replay.per_day[f"{at:%Y-%m-%d}"] += 1
        else:
            replay.held_back["caps"] += 1
    return {
        "invites": sum(replay.per_day.values()),
        "per_day": [{"date": day, "invites": n} for day, n in sorted(replay.per_day.items())],
        "held_back": {step: replay.held_back[step] for step in HELD_BACK},
    }


def _events(session: Session, name: str, since: datetime) -> Iterator[tuple[Any, dict[str, Any]]]:
    stmt = (
        sa.select(Event.id, Event.name, Event.properties, Event.occurred_at, Event.profile_id)
        .where(Event.name == name, Event.occurred_at >= since)
        .order_by(Event.occurred_at, Event.id)
        .execution_options(yield_per=CHUNK)
    )
    for chunk in session.execute(stmt).partitions():
        people = sorted({row.profile_id for row in chunk})
        found = session.execute(sa.select(Profile.id, Profile.traits).where(Profile.id.in_(people)))
        traits: dict[int, dict[str, Any]] = {pid: t for pid, t in found}
        for row in chunk:
            yield row, traits.get(row.profile_id, {})
