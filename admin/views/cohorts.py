"""Cohorts and their syncs: members, state, the latest runs, and "Sync now" (hub.cohorts.service)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose

from admin.base import ReadOnlyView, badge, details_link
from hub.cohorts import runs as cohort_runs
from hub.cohorts.service import CohortProblem, request_sync
from hub.db import db, utcnow
from hub.models import Cohort, Run

RECENT_RUNS = 10


class CohortView(ReadOnlyView):
    column_list = ("id", "name", "connection_id", "status", "member_count", "last_synced_at", "next_sync_at")
    column_filters = ("status", "connection_id", "name")
    column_searchable_list = ("name", "source_ref")
    column_labels = {"connection_id": "Connection", "member_count": "Members"}
    column_formatters: dict[str, Any] = {
        "status": lambda v, c, m, p: badge(m.status),
        "connection_id": lambda v, c, m, p: details_link("connection", m.connection_id),
    }
    details_template = "jh/cohort_details.html"

    def __init__(self) -> None:
        super().__init__(Cohort, "Cohorts", "Data", endpoint="cohort")

    @expose("/details/")
    def details_view(self) -> Any:
        """The cohort, its latest syncs, and whether one runs now (the page then refreshes itself)."""
        cohort_id = request.args.get("id", "")
        recent: list[Run] = []
        syncing = False
        if cohort_id.isdigit():
            recent = list(
                db.session.scalars(
                    sa.select(Run)
                    .where(Run.kind == cohort_runs.KIND, Run.subject == cohort_runs.subject(int(cohort_id)))
                    .order_by(Run.id.desc())
                    .limit(RECENT_RUNS)
                )
            )
            syncing = any(r.status in ("queued", "running") for r in recent)
        self._template_args.update(recent=recent, syncing=syncing, now=utcnow())
        return super().details_view()

    @expose("/<int:cohort_id>/sync", methods=["POST"])
    def sync_now(self, cohort_id: int) -> Any:
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None:
            flash("No such cohort.", "error")
            return redirect(url_for(".index_view"))
        try:
            requested = request_sync(cohort)
            flash(f"Sync requested (run {requested.run_id}).", "success")
        except CohortProblem as exc:
            flash(str(exc), "error")
        return redirect(url_for(".details_view", id=cohort_id))
