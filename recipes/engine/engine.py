"""The recipe engine over a batch of events: a fixed number of queries per batch, not per event.

Per batch: the events not yet in the ledger, the enabled recipes whose trigger names them
(recipes are indexed by `trigger_key`), the people's traits, the workspace's rules and the
decisions already made (a batch redone after a crash skips them): five reads. Only an
event x recipe that passes every step before the caps costs statements of its own, in its
own short transaction (recipes.engine.decide). Skipped and capped decisions and the ledger
marks are then written in one executemany each, and committed together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import insert_ignore, utcnow
from hub.models import Decision, EvaluatedEvent, Event, Profile, Recipe, Workspace
from recipes.engine import rows
from recipes.engine.conversions import withdraw_converted
from recipes.engine.decide import Pair, invite_or_cap, skipped_row
from recipes.engine.rows import EventRow, RecipeRow
from recipes.engine.saving import DEFAULT_PER_PERSON_DAYS, WORKSPACE_ID
from recipes.engine.schema import event_keys
from recipes.engine.steps import Subject, judge


@dataclass
class Tally:
    events: int = 0
    decisions: int = 0
    invites: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """The workspace's settings as the steps read them."""

    suppression: list[dict[str, Any]]
    timezone: str
    per_person_days: int


def workspace_rules(session: Session) -> Rules:
    found = session.get(Workspace, WORKSPACE_ID)
    if found is None:
        return Rules([], "UTC", DEFAULT_PER_PERSON_DAYS)
    return Rules(list(found.suppression.get("rules", [])), found.timezone, found.per_person_days)


def evaluate(session: Session, event_ids: Sequence[int], now: datetime | None = None) -> Tally:
    """Evaluates each event once against the recipes its name triggers, then marks it evaluated."""
    now = now or utcnow()
    tally = Tally()
    events = _unevaluated(session, event_ids)
    tally.events = len(events)
    if not events:
        return tally
    recipes = _recipes_by_key(session, {key for e in events for key in event_keys(e.name, e.properties)})
    pairs = [
        (event, recipe)
        for event in events
        for key in event_keys(event.name, event.properties)
        for recipe in recipes.get(key, ())
    ]
    decided = decide(session, pairs, now, tally)
    withdraw_converted(session, events)
    if decided:
        session.execute(insert_ignore(session, Decision), decided)
    session.execute(
        insert_ignore(session, EvaluatedEvent), [{"event_id": e.id, "evaluated_at": now} for e in events]
    )
    session.commit()
    return tally


def decide(
    session: Session, pairs: list[tuple[EventRow, RecipeRow]], now: datetime, tally: Tally
) -> list[dict[str, Any]]:
    """Judges every pair; commits the invites; answers the decision rows still to be written."""
    if not pairs:
        return []
    rules = workspace_rules(session)
    traits = _traits(session, {event.profile_id for event, _ in pairs})
    done = _decided(session, {e.id for e, _ in pairs}, {r.id for _, r in pairs})
    pending: list[dict[str, Any]] = []
    for event, recipe in pairs:
        if (event.id, recipe.id) in done:
            continue
        pair = Pair(
            event.id, event.profile_id, recipe.id, recipe.version, recipe.campaign_id, recipe.definition
        )
        subject = Subject(
            event.name,
            event.properties,
            event.occurred_at,
            event.profile_id,
            traits.get(event.profile_id, {}),
        )
        verdict = judge(recipe.id, recipe.definition, subject, rules.suppression, rules.timezone, now)
        tally.decisions += 1
        if verdict.failed is not None:
            pending.append(skipped_row(pair, verdict, now))
            _count(tally, "skipped")
            continue
        capped = invite_or_cap(session, pair, verdict, rules.per_person_days, now)
        if capped is None:
            tally.invites += 1
            _count(tally, "invited" if verdict.due_at is None or verdict.due_at <= now else "scheduled")
        else:
            pending.append(capped)
            _count(tally, capped["outcome"])
    return pending


def _count(tally: Tally, outcome: str) -> None:
    tally.outcomes[outcome] = tally.outcomes.get(outcome, 0) + 1


def _unevaluated(session: Session, event_ids: Sequence[int]) -> list[EventRow]:
    fresh = ~sa.exists().where(EvaluatedEvent.event_id == Event.id)
    return rows.events(session, Event.id.in_(sorted(set(event_ids))), fresh)


def _recipes_by_key(session: Session, keys: Iterable[str]) -> dict[str, list[RecipeRow]]:
    found: dict[str, list[RecipeRow]] = {}
    for recipe in rows.recipes(session, Recipe.trigger_key.in_(sorted(keys))):
        found.setdefault(recipe.trigger_key, []).append(recipe)
    return found


def _traits(session: Session, profile_ids: set[int]) -> dict[int, dict[str, Any]]:
    found = session.execute(sa.select(Profile.id, Profile.traits).where(Profile.id.in_(sorted(profile_ids))))
    return {pid: traits for pid, traits in found}


def _decided(session: Session, event_ids: set[int], recipe_ids: set[int]) -> set[tuple[int, int]]:
    found = session.execute(
        sa.select(Decision.event_id, Decision.recipe_id).where(
            Decision.event_id.in_(sorted(event_ids)), Decision.recipe_id.in_(sorted(recipe_ids))
        )
    )
    return {(e, r) for e, r in found}
