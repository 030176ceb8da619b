"""Journeys: the intended path, saved and validated like recipes, and its funnel overlaid on it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from flask.views import MethodView

from hub.api.common import Page, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.db import db, utcnow
from hub.errors import ApiError
from hub.models import Journey
from recipes.api.body import parsed, refused
from recipes.api.common import deleted, envelope
from recipes.engine.problems import Problem
from recipes.journeys.api.models import FunnelOut, FunnelQuery, JourneyOut
from recipes.journeys.funnel import measure
from recipes.journeys.overlay import by_cost, rows
from recipes.journeys.reasons import findings_by_recipe
from recipes.journeys.schema import JourneyIn
from recipes.journeys.service import save_journey

bp = Blueprint("journeys", __name__)
TAGS = ["journeys"]


def render(journey: Journey) -> dict[str, Any]:
    return JourneyOut.model_validate(envelope(journey)).model_dump(mode="json")


def _saved(journey: Journey | None) -> dict[str, Any]:
    try:
        return render(save_journey(parsed(JourneyIn), journey))
    except Problem as problem:
        raise refused(problem) from None


@bp.get("/journeys")
@spec.validate(query=PageQuery, resp=answers(200, Page[JourneyOut]), tags=TAGS)
def list_journeys() -> dict[str, Any]:
    query: PageQuery = request.context.query  # type: ignore[attr-defined]
    return page(sa.select(Journey), Journey.id, query, render)


@bp.post("/journeys")
@spec.validate(json=JourneyIn, skip_validation=True, resp=answers(201, JourneyOut, *BODY), tags=TAGS)
def add_journey() -> tuple[dict[str, Any], int]:
    return _saved(None), 201


class JourneyItem(MethodView):
    """One journey: read, replace (PUT) or delete; one rule, so an id out of range is 404 for every method."""

    @spec.validate(resp=answers(200, JourneyOut, *BY_ID), tags=TAGS)
    def get(self, journey_id: int) -> dict[str, Any]:
        return render(get_or_404(Journey, journey_id))

    @spec.validate(
        json=JourneyIn, skip_validation=True, resp=answers(200, JourneyOut, *BY_ID, *BODY), tags=TAGS
    )
    def put(self, journey_id: int) -> dict[str, Any]:
        return _saved(get_or_404(Journey, journey_id))

    @spec.validate(resp=deleted(), tags=TAGS)
    def delete(self, journey_id: int) -> tuple[str, int]:
        db.session.delete(get_or_404(Journey, journey_id))
        db.session.commit()
        return "", 204


bp.add_url_rule("/journeys/<id:journey_id>", view_func=JourneyItem.as_view("journey"))


@bp.get("/journeys/<id:journey_id>/funnel")
@spec.validate(query=FunnelQuery, resp=answers(200, FunnelOut, *BY_ID), tags=TAGS)
def funnel(journey_id: int) -> dict[str, Any]:
    """The real funnel of the people who entered in [since, until), beside the map's assumptions."""
    journey = get_or_404(Journey, journey_id)
    query: FunnelQuery = request.context.query  # type: ignore[attr-defined]
    until = query.until or utcnow()
    if query.since is not None and query.since >= until:
        details = [{"field": "until", "message": "must be later than since"}]
        raise ApiError(400, "invalid_request", "invalid request: until", details)
    spec_ = JourneyIn.model_validate(journey.definition)
    measured = measure(db.session, spec_, query.since, until, query.segment)
    findings = findings_by_recipe(db.session, (stage.recipe_id for stage in spec_.stages))
    stages = rows(spec_, measured.stages, findings)
    answer = FunnelOut.model_validate(
        {
            "journey_id": journey.id,
            "since": query.since,
            "until": until,
            "window_days": spec_.window_days,
            "stages": stages,
            "by_cost": [row["number"] for row in by_cost(stages)],
            "segment": query.segment,
            "segments": [
                {"value": value, "stages": rows(spec_, figures, None)} for value, figures in measured.segments
            ],
        }
    )
    db.session.rollback()
    return answer.model_dump(mode="json")
