"""GET /profiles/<id>/eligibility?recipe_id=: would this person be invited now, and if not, why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.common import Id, get_or_404
from hub.api.spec import BY_ID, answers, spec
from hub.db import db
from hub.errors import ApiError
from hub.models import Decision, Profile, Recipe
from recipes.engine.explain import explain

bp = Blueprint("eligibility", __name__)
RECENT = 20


class EligibilityQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipe_id: Id | None = Field(
        default=None, description="required; read after the profile, so a gone profile is 404"
    )


class DecisionOut(BaseModel):
    id: int
    event_id: int
    recipe_id: int
    recipe_version: int
    profile_id: int
    outcome: str
    step: str | None
    reason: str
    at: datetime


class EligibilityOut(BaseModel):
    profile_id: int
    recipe_id: int
    eligible_now: bool
    reason: str
    decisions: list[DecisionOut]


def render_decision(decision: Decision) -> dict[str, Any]:
    return DecisionOut.model_validate(decision, from_attributes=True).model_dump(mode="json")


@bp.get("/profiles/<id:profile_id>/eligibility")
@spec.validate(query=EligibilityQuery, resp=answers(200, EligibilityOut, *BY_ID), tags=["profiles"])
def eligibility(profile_id: int) -> dict[str, Any]:
    query: EligibilityQuery = request.context.query  # type: ignore[attr-defined]
    profile = get_or_404(Profile, profile_id)
    if query.recipe_id is None:
        message = "name the recipe: ?recipe_id="
        raise ApiError(400, "invalid_request", message, [{"field": "recipe_id", "message": "Field required"}])
    recipe = get_or_404(Recipe, query.recipe_id)
    explained = explain(db.session, profile, recipe)
    recent = db.session.scalars(
        sa.select(Decision)
        .where(Decision.profile_id == profile.id, Decision.recipe_id == recipe.id)
        .order_by(Decision.id.desc())
        .limit(RECENT)
    )
    return {
        "profile_id": profile.id,
        "recipe_id": recipe.id,
        "eligible_now": explained.eligible_now,
        "reason": explained.reason,
        "decisions": [render_decision(d) for d in recent],
    }
