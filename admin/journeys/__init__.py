"""The journey view: the map over the real funnel, each drop-off with its "why" beside it.

The funnel is measured as GET /api/v1/journeys/<id>/funnel measures it (admin.journeys.figures
calls the same functions); each stage's rate over time comes from its snapshots; "Ask why"
posts to the API (…/stages/<n>/recipe) from admin/static/journey.js and opens the new recipe
in the builder.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_admin import expose

from admin.base import PAGE_SIZE, SecuredView
from admin.builder.options import trait_fields
from admin.charts import line_chart, share_bar
from admin.journeys.figures import funnel, rate_history
from hub.db import db, utcnow
from hub.models import Campaign, Journey

PERIODS = (7, 30, 90, 365)


class JourneysView(SecuredView):
    @property
    def extra_css(self) -> list[str]:
        return [url_for("jh_admin.static", filename="views.css")]

    @expose("/")
    def index(self) -> Any:
        journeys = db.session.scalars(sa.select(Journey).order_by(Journey.id).limit(PAGE_SIZE * 4)).all()
        return self.render("jh/journeys.html", journeys=journeys)

    @expose("/<int:journey_id>/")
    def view(self, journey_id: int) -> Any:
        journey = db.session.get(Journey, journey_id)
        if journey is None:
            abort(404)
        days = request.args.get("days", "30")
        period = int(days) if days.isdigit() and int(days) in PERIODS else 30
        segments = trait_fields()
        segment = request.args.get("segment") or None
        if segment not in segments:
            segment = None
        figures = funnel(journey, utcnow() - timedelta(days=period), segment)
        history = rate_history(journey.id)
        campaigns = db.session.execute(sa.select(Campaign.id, Campaign.name).order_by(Campaign.id).limit(200))
        return self.render(
            "jh/journey.html",
            journey=journey,
            funnel=figures,
            history=history,
            period=period,
            periods=PERIODS,
            segment=segment,
            segments=segments,
            campaigns=list(campaigns),
            line_chart=line_chart,
            share_bar=share_bar,
        )
