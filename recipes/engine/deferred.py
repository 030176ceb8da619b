"""Deferred invites: a capped person whose recipe says `defer` is tried again when the cap may
have freed, once a day, up to MAX_ATTEMPTS times; then the decision becomes a skip.

The retry walks the same steps with the person's traits as they are now (they may have
opted out meanwhile), and claims the caps the same atomic way, for all due deferrals of a
run at once; each deferral's own decision row records what came of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Decision, Event, Profile, Recipe
from recipes.engine.decide import DEFER_DAYS, Pair, Settled, settle
from recipes.engine.engine import Tally
from recipes.engine.retry import retried
from recipes.engine.settings import workspace_rules
from recipes.engine.steps import Subject, judge

MAX_ATTEMPTS = 30
PER_RUN = 1000


def retry_deferred(session: Session, now: datetime | None = None) -> Tally:
    when = now or utcnow()
    return retried(session, lambda: _retry(session, when))


def _retry(session: Session, now: datetime) -> Tally:
    tally = Tally()
    rules = workspace_rules(session)
    due = session.execute(
        sa.select(Decision, Event, Recipe, Profile.traits)
        .join(Event, Event.id == Decision.event_id)
        .join(Recipe, Recipe.id == Decision.recipe_id)
        .join(Profile, Profile.id == Decision.profile_id)
        .where(Decision.outcome == "deferred", Decision.retry_at <= now)
        .order_by(Decision.retry_at, Decision.id)
        .limit(PER_RUN)
    ).all()
    judged = []
    for decision, event, recipe, traits in due:
        pair = Pair(
            event.id, decision.profile_id, recipe.id, recipe.version, recipe.campaign_id, recipe.definition
        )
        subject = Subject(event.name, event.properties, event.occurred_at, decision.profile_id, traits)
        judged.append(
            (pair, judge(recipe.id, recipe.definition, subject, rules.suppression, rules.timezone, now))
        )
    for (decision, *_), settled in zip(due, settle(session, judged, rules, now), strict=True):
        tally.decisions += 1
        tally.invites += settled.invited
        _record(decision, settled, now)
    return tally


def _record(decision: Decision, settled: Settled, now: datetime) -> None:
    decision.at = now
    if settled.outcome != "deferred":
        decision.outcome, decision.step, decision.reason = settled.outcome, settled.step, settled.reason
        decision.retry_at = None
    elif decision.attempts >= MAX_ATTEMPTS:
        decision.outcome, decision.step, decision.retry_at = "skipped", "caps", None
        decision.reason = f"still capped after {decision.attempts} tries: {settled.reason.split(';')[0]}"
    else:
        decision.attempts += 1
        decision.reason = settled.reason
        decision.retry_at = now + timedelta(days=DEFER_DAYS)
