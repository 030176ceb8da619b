"""Why one person would or would not be invited by one recipe now, without writing anything.

The same steps as the engine, over the person's latest triggering event, then the caps read
(not claimed): what a claim made now would find.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Event, Profile, Recipe
from recipes.engine.caps import caps_for, would_refuse
from recipes.engine.settings import workspace_rules
from recipes.engine.steps import Step, Subject, Verdict, judge


@dataclass(frozen=True)
class Explained:
    eligible_now: bool
    reason: str
    steps: list[Step]


def trigger_event_name(recipe: Recipe) -> str:
    trigger = recipe.definition["trigger"]
    return str(trigger.get("event") or trigger["type"])


def explain(session: Session, profile: Profile, recipe: Recipe) -> Explained:
    now = utcnow()
    name = trigger_event_name(recipe)
    event = session.scalar(
        sa.select(Event)
        .where(Event.profile_id == profile.id, Event.name == name)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(1)
    )
    if event is None:
        return Explained(
            False, f"this person has no {name} event yet", [Step("trigger", False, f"no {name} event")]
        )
    subject = Subject(event.name, event.properties, event.occurred_at, profile.id, profile.traits)
    return finish(
        session, recipe, judge(recipe.id, recipe.definition, subject, *_rules(session), now), profile.id
    )


def _rules(session: Session) -> tuple[list[dict[str, object]], str]:
    rules = workspace_rules(session)
    return rules.suppression, rules.timezone


def finish(session: Session, recipe: Recipe, verdict: Verdict, profile_id: int) -> Explained:
    """Adds the caps step, read without claiming, to a verdict of the steps before it."""
    failed = verdict.failed
    if failed is not None:
        return Explained(False, f"{failed.step}: {failed.detail}", verdict.steps)
    now = utcnow()
    rules = workspace_rules(session)
    refused = would_refuse(
        session, caps_for(recipe.definition, recipe.campaign_id, profile_id, rules, now), now
    )
    steps = [*verdict.steps, Step("caps", refused is None, "passed" if refused is None else refused.reason)]
    if refused is not None:
        return Explained(False, f"caps: {refused.reason}", steps)
    return Explained(True, "every step passes", steps)
