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
from recipes.engine.schema import COHORT_EVENTS, event_keys
from recipes.engine.settings import workspace_rules
from recipes.engine.steps import Step, Subject, Verdict, judge

LOOKED_AT = 50
"""The person's latest events of the trigger's name that are looked at for one of its own."""


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
    latest = session.scalars(
        sa.select(Event)
        .where(Event.profile_id == profile.id, Event.name == name)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(LOOKED_AT)
    )
    event = next((e for e in latest if _its_own(recipe, e)), None)
    if event is None:
        return Explained(
            False, f"this person has no {name} event yet", [Step("trigger", False, f"no {name} event")]
        )
    subject = Subject(event.name, event.properties, event.occurred_at, profile.id, profile.traits)
    return finish(
        session, recipe, judge(recipe.id, recipe.definition, subject, *_rules(session), now), profile.id
    )


def _its_own(recipe: Recipe, event: Event) -> bool:
    """A cohort recipe's event is one of its own cohort; any event of the name is another's."""
    if recipe.definition["trigger"]["type"] not in COHORT_EVENTS:
        return True
    return recipe.trigger_key in event_keys(event.name, event.properties)


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
