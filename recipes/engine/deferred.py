"""Deferred invites: a capped person whose recipe says `defer` is tried again when the cap may
have freed, once a day, up to MAX_ATTEMPTS times; then the decision becomes a skip.

The retry walks the same steps with the person's traits as they are now (they may have
opted out meanwhile) and claims the caps the same atomic way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Decision, Event, Profile, Recipe
from recipes.engine.decide import DEFER_DAYS, Pair, invite_or_cap
from recipes.engine.engine import Tally, workspace_rules
from recipes.engine.steps import Subject, judge

MAX_ATTEMPTS = 30
PER_RUN = 1000


def retry_deferred(session: Session, now: datetime | None = None) -> Tally:
    now = now or utcnow()
    tally = Tally()
    rules = workspace_rules(session)
    due = session.execute(
        sa.select(Decision, Event, Recipe, Profile.traits)
        .join(Event, Event.id == Decision.event_id)
        .join(Recipe, Recipe.id == Decision.recipe_id)
        .join(Profile, Profile.id == Decision.profile_id)
        .where(Decision.outcome == "deferred", Decision.retry_at <= now)
        .order_by(Decision.retry_at)
        .limit(PER_RUN)
    ).all()
    for decision, event, recipe, traits in due:
        tally.decisions += 1
        pair = Pair(
            event.id, decision.profile_id, recipe.id, recipe.version, recipe.campaign_id, recipe.definition
        )
        subject = Subject(event.name, event.properties, event.occurred_at, decision.profile_id, traits)
        verdict = judge(recipe.id, recipe.definition, subject, rules.suppression, rules.timezone, now)
        failed = verdict.failed
        if failed is not None:
            _settle(decision, "skipped", failed.step, failed.detail, now)
            continue
        capped = invite_or_cap(session, pair, verdict, rules.per_person_days, now)
        if capped is None:
            tally.invites += 1
        elif decision.attempts >= MAX_ATTEMPTS:
            _settle(
                decision,
                "skipped",
                "caps",
                f"still capped after {decision.attempts} tries: {capped['reason']}",
                now,
            )
        else:
            decision.attempts += 1
            decision.reason, decision.at = capped["reason"], now
            decision.retry_at = now + timedelta(days=DEFER_DAYS)
        session.commit()
    session.commit()
    return tally


def _settle(decision: Decision, outcome: str, step: str, reason: str, now: datetime) -> None:
    decision.outcome, decision.step, decision.reason, decision.at, decision.retry_at = (
        outcome,
        step,
        reason,
        now,
        None,
    )
