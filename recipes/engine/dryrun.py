"""Dry run: the step-by-step decision for one event, written nowhere and sent nowhere.

The same steps as the engine; the caps are read, not claimed. A sample event is read as
`/hooks/generic` takes it; the person it names is looked up (never created), so their
stored traits count, and the event's own traits are laid over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from connectors.sdk.identity import keys_of
from hub.db import utcnow
from hub.models import Event, Identity, Profile, Recipe
from recipes.engine.explain import finish, trigger_event_name
from recipes.engine.rules import Strict
from recipes.engine.settings import workspace_rules
from recipes.engine.steps import Step, Subject, Verdict, judge

IdText = Annotated[str, Field(min_length=1, max_length=320, pattern=r"^[^\x00]*$")]


class SampleEvent(Strict):
    """An event as `/hooks/generic` takes it."""

    event: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
    user_id: IdText | None = None
    email: IdText | None = None
    anonymous_id: IdText | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime | None = None


def sample_subject(session: Session, sample: SampleEvent) -> Subject:
    identities = {"user_id": sample.user_id, "email": sample.email, "anonymous_id": sample.anonymous_id}
    keys = keys_of(identities)
    profile = None
    if keys:
        found = sa.tuple_(Identity.kind, Identity.value).in_(keys)
        profile = session.scalar(sa.select(Profile).join(Identity).where(found).order_by(Profile.id).limit(1))
    traits = {**(profile.traits if profile else {}), **sample.traits}
    when = sample.timestamp or utcnow()
    return Subject(sample.event, sample.properties, when, profile.id if profile else 0, traits)


def stored_subject(session: Session, event: Event) -> Subject:
    profile = session.get(Profile, event.profile_id)
    traits: Mapping[str, Any] = profile.traits if profile else {}
    return Subject(event.name, event.properties, event.occurred_at, event.profile_id, traits)


def dry_run(session: Session, recipe: Recipe, subject: Subject) -> tuple[str, list[Step]]:
    """The outcome the engine would reach now, and every step it would walk to get there."""
    wanted = trigger_event_name(recipe)
    if subject.event_name != wanted:
        return "skipped", [
            Step("trigger", False, f"the recipe is triggered by {wanted}, not {subject.event_name}")
        ]
    from_steps = judge_now(session, recipe, subject)
    explained = finish(session, recipe, from_steps, subject.profile_id)
    failed = next((s for s in explained.steps if not s.passed), None)
    if failed is None:
        due = from_steps.due_at
        return ("scheduled" if due is not None and due > utcnow() else "invited"), explained.steps
    defer = failed.step == "caps" and recipe.definition["caps"].get("when_capped") == "defer"
    return ("deferred" if defer else "skipped"), explained.steps


def judge_now(session: Session, recipe: Recipe, subject: Subject) -> Verdict:
    rules = workspace_rules(session)
    return judge(recipe.id, recipe.definition, subject, rules.suppression, rules.timezone, utcnow())
