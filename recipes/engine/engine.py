"""The recipe engine over a batch of events: a fixed number of statements per batch, not per event.

One transaction per batch. Four reads: the enabled recipes an event can trigger (indexed in
memory by trigger key), those of the batch's events that some recipe looks at and the ledger
does not hold yet, the workspace's rules and the people's traits. Then the invites and their
caps (recipes.engine.decide), one decision per event x recipe, late conversions, and the
ledger marks, in one statement each; then one commit. A deadlock or a busy SQLite writer
rolls the batch back and it runs again (recipes.engine.retry).

Only events some enabled recipe looks at (by name) are read, and only they get a ledger
mark: an event no recipe looks at has nothing to evaluate, and most events are such (page
views). A recipe fires only for events stored after it was created, as a time trigger fires
only for windows that close after it was created, so an event that no recipe looked at when
it was stored never needs evaluating later (recipes.engine.sweep relies on it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Decision, EvaluatedEvent, Event, Profile, Recipe
from recipes.engine import rows
from recipes.engine.conversions import withdraw_converted
from recipes.engine.decide import Pair, decision_row, settle
from recipes.engine.retry import retried
from recipes.engine.rows import EventRow, RecipeRow, among, write_rows
from recipes.engine.schema import COHORT_EVENTS, event_keys
from recipes.engine.settings import workspace_rules
from recipes.engine.steps import Subject, judge

LEDGER = cast(sa.Table, EvaluatedEvent.__table__)
DECISIONS = cast(sa.Table, Decision.__table__)


@dataclass
class Tally:
    events: int = 0
    decisions: int = 0
    invites: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.events += other.events
        self.decisions += other.decisions
        self.invites += other.invites
        for outcome, count in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count


@dataclass(frozen=True)
class RecipeIndex:
    """The enabled recipes a stored event can set off, by trigger key, and the absence recipes
    whose conversion event may turn up late."""

    by_key: dict[str, list[RecipeRow]]
    absence: list[RecipeRow]

    @classmethod
    def load(cls, session: Session) -> RecipeIndex:
        by_key: dict[str, list[RecipeRow]] = {}
        absence: list[RecipeRow] = []
        kinds = ("event:", *(f"{name}:" for name in COHORT_EVENTS), "absence:")
        for recipe in rows.recipes(session, sa.or_(*(Recipe.trigger_key.startswith(k) for k in kinds))):
            if recipe.trigger_key.startswith("absence:"):
                absence.append(recipe)
            else:
                by_key.setdefault(recipe.trigger_key, []).append(recipe)
        return cls(by_key, absence)

    def names(self) -> set[str]:
        """The event names worth reading: all others only get their ledger mark."""
        named = set()
        for key in self.by_key:
            kind, _, rest = key.partition(":")
            named.add(rest if kind == "event" else kind)
        return named | {r.definition["trigger"]["missing"] for r in self.absence}

    def matching(self, event: EventRow) -> list[RecipeRow]:
        """The recipes `event` sets off: those its trigger keys name, created before it was stored."""
        return [
            recipe
            for key in event_keys(event.name, event.properties)
            for recipe in self.by_key.get(key, ())
            if recipe.created_at <= event.received_at
        ]


def evaluate(
    session: Session,
    event_ids: Sequence[int],
    now: datetime | None = None,
    record: Callable[[Tally], None] | None = None,
) -> Tally:
    """Evaluates each event once against the recipes it triggers, then marks it evaluated.

    `record` adds what the caller keeps of the figures to the same transaction, before it commits.
    """
    ids = sorted(set(event_ids))
    return retried(session, lambda: _evaluate(session, ids, now or utcnow(), record))


def _evaluate(
    session: Session, ids: list[int], now: datetime, record: Callable[[Tally], None] | None
) -> Tally:
    tally = Tally()
    index = RecipeIndex.load(session)
    names = index.names()
    events = _unevaluated(session, ids, names) if names and ids else []
    decided = decide(session, [(e, r) for e in events for r in index.matching(e)], now, tally)
    withdraw_converted(session, events, index.absence)
    if decided:
        write_rows(session, DECISIONS, decided, lambda stmt: stmt.on_conflict_do_nothing())
    tally.events = _mark_evaluated(session, events, now)
    if record is not None:
        record(tally)
    return tally


def decide(
    session: Session, pairs: list[tuple[EventRow, RecipeRow]], now: datetime, tally: Tally
) -> list[dict[str, Any]]:
    """Judges every pair and writes the invites and claims; answers the decision rows to write."""
    if not pairs:
        return []
    rules = workspace_rules(session)
    traits = _traits(session, sorted({event.profile_id for event, _ in pairs}))
    judged = []
    for event, recipe in pairs:
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
        judged.append(
            (pair, judge(recipe.id, recipe.definition, subject, rules.suppression, rules.timezone, now))
        )
    settled = settle(session, judged, rules, now)
    for s in settled:
        tally.decisions += 1
        tally.invites += s.invited
        tally.outcomes[s.outcome] = tally.outcomes.get(s.outcome, 0) + 1
    return [decision_row(pair, s, now) for (pair, _), s in zip(judged, settled, strict=True)]


def _unevaluated(session: Session, ids: list[int], names: set[str]) -> list[EventRow]:
    fresh = ~sa.exists().where(EvaluatedEvent.event_id == Event.id)
    within = Event.id.between(ids[0], ids[-1])  # lets PostgreSQL walk one range of the key
    return rows.events(session, within, among(session, Event.id, ids), Event.name.in_(sorted(names)), fresh)


def _traits(session: Session, profile_ids: list[int]) -> dict[int, dict[str, Any]]:
    found = session.connection().execute(
        sa.select(Profile.id, Profile.traits).where(among(session, Profile.id, profile_ids))
    )
    return {pid: traits for pid, traits in found}


def _mark_evaluated(session: Session, events: list[EventRow], now: datetime) -> int:
    """Puts the events in the ledger; answers how many were not there yet (a concurrent
    evaluation of the same batch may have marked them first: then its decisions stand)."""
    if not events:
        return 0
    marks = [{"event_id": e.id, "evaluated_at": now} for e in events]
    return write_rows(session, LEDGER, marks, lambda stmt: stmt.on_conflict_do_nothing())[1]
