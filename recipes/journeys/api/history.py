"""A journey's history (snapshots and journey-changed events) and asking why people leave a stage."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from flask.views import MethodView
from pydantic import BaseModel

from hub.api.common import Page, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.db import db, utcnow
from hub.errors import ApiError
from hub.models import Journey, JourneyChange, JourneySnapshot
from recipes.api.body import parsed, refused
from recipes.api.recipes import RecipeOut
from recipes.api.recipes import render as render_recipe
from recipes.campaigns.schema import Question
from recipes.engine.problems import Problem
from recipes.journeys.api.models import AskWhyIn, ChangeOut, SnapshotOut
from recipes.journeys.askwhy import NOTE, ask_why
from recipes.journeys.schema import JourneyIn
from recipes.journeys.snapshots import take

bp = Blueprint("journey_history", __name__)
TAGS = ["journeys"]


class TakenOut(SnapshotOut):
    changes: list[ChangeOut]


class AskedOut(BaseModel):
    recipe: RecipeOut
    suggested_question: Question
    note: str


def _snapshot(row: JourneySnapshot) -> dict[str, Any]:
    return SnapshotOut.model_validate(row, from_attributes=True).model_dump(mode="json")


def _change(row: JourneyChange) -> dict[str, Any]:
    return ChangeOut.model_validate(row, from_attributes=True).model_dump(mode="json")


class Snapshots(MethodView):
    """A journey's snapshots: list (GET) or take one now (POST); one rule, so an id out of range is 404 for both."""

    @spec.validate(query=PageQuery, resp=answers(200, Page[SnapshotOut], *BY_ID), tags=TAGS)
    def get(self, journey_id: int) -> dict[str, Any]:
        """Each snapshot of the funnel, newest first: each stage's rate over time."""
        get_or_404(Journey, journey_id)
        query: PageQuery = request.context.query  # type: ignore[attr-defined]
        stmt = sa.select(JourneySnapshot).where(JourneySnapshot.journey_id == journey_id)
        return page(stmt, JourneySnapshot.id, query, _snapshot)

    @spec.validate(resp=answers(201, TakenOut, *BY_ID), tags=TAGS)
    def post(self, journey_id: int) -> tuple[dict[str, Any], int]:
        """A snapshot now, whatever the schedule, with the journey-changed events it recorded."""
        journey = get_or_404(Journey, journey_id)
        snapshot, changes = take(db.session, journey, utcnow())
        db.session.commit()
        return {**_snapshot(snapshot), "changes": [_change(c) for c in changes]}, 201


bp.add_url_rule("/journeys/<id:journey_id>/snapshots", view_func=Snapshots.as_view("snapshots"))


@bp.get("/journeys/<id:journey_id>/changes")
@spec.validate(query=PageQuery, resp=answers(200, Page[ChangeOut], *BY_ID), tags=TAGS)
def list_changes(journey_id: int) -> dict[str, Any]:
    """Journey-changed events, newest first: a stage's rate moved by more than the journey's alert_change."""
    get_or_404(Journey, journey_id)
    query: PageQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(JourneyChange).where(JourneyChange.journey_id == journey_id)
    return page(stmt, JourneyChange.id, query, _change)


@bp.post("/journeys/<id:journey_id>/stages/<id:number>/recipe")
@spec.validate(json=AskWhyIn, skip_validation=True, resp=answers(201, AskedOut, *BY_ID, *BODY), tags=TAGS)
def ask_why_they_leave(journey_id: int, number: int) -> tuple[dict[str, Any], int]:
    """A disabled absence recipe for those who reached stage `number` (from 1) but not the next."""
    journey = get_or_404(Journey, journey_id)
    stages = len(JourneyIn.model_validate(journey.definition).stages)
    if number >= stages:
        message = f"journey {journey_id} has no stage after stage {number}" if number == stages else None
        raise ApiError(404, "not_found", message or f"journey {journey_id} has no stage {number}")
    body = parsed(AskWhyIn)
    try:
        recipe, question = ask_why(journey, number, body.campaign_id, body.name)
    except Problem as problem:
        raise refused(problem) from None
    return {"recipe": render_recipe(recipe), "suggested_question": question, "note": NOTE}, 201
