"""The outbox: filter what is dead or failed, read why, and replay one row or many.

Replaying is hub.outbox.replay's, as for `POST /api/v1/outbox/replay`: only failed and dead
rows are touched, in one statement, and a worker is woken.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action

from admin.base import ReadOnlyView, badge
from hub.db import db
from hub.models import RunStep
from hub.models.delivery import Outbox
from hub.outbox.replay import replay


class OutboxView(ReadOnlyView):
    column_list = (
        "id",
        "status",
        "kind",
        "target",
        "attempts",
        "last_error",
        "next_attempt_at",
        "updated_at",
    )
    column_details_list = (
        "id",
        "status",
        "kind",
        "target",
        "attempts",
        "next_attempt_at",
        "last_error",
        "result",
        "idempotency_key",
        "sent_at",
        "created_at",
        "updated_at",
    )
    column_filters = ("status", "kind", "target")
    column_searchable_list = ("target", "kind")
    column_formatters: dict[str, Any] = {
        "status": lambda v, c, m, p: badge(m.status),
        "last_error": lambda v, c, m, p: (m.last_error or "")[:160],
    }
    column_formatters_detail: dict[str, Any] = {"status": lambda v, c, m, p: badge(m.status)}
    details_template = "jh/outbox_details.html"
    list_template = "jh/outbox_list.html"

    def __init__(self) -> None:
        super().__init__(Outbox, "Outbox", "Operations", endpoint="outbox")

    @action("replay", "Replay", "Send the selected failed and dead rows again?")
    def action_replay(self, ids: list[str]) -> None:
        count = replay(db.session, Outbox.id.in_([int(i) for i in ids]))
        flash(
            f"{count} row{'s' * (count != 1)} queued again (only failed and dead rows are replayed).",
            "success",
        )

    @expose("/details/")
    def details_view(self) -> Any:
        """The row, and its delivery attempts (run steps named `outbox:<id>`), newest first."""
        row_id = request.args.get("id", "")
        steps: list[RunStep] = []
        if row_id.isdigit():
            query = sa.select(RunStep).where(RunStep.name == f"outbox:{row_id}")
            steps = list(db.session.scalars(query.order_by(RunStep.id.desc()).limit(20)))
        self._template_args["attempts"] = steps
        return super().details_view()

    @expose("/<int:row_id>/replay", methods=["POST"])
    def replay_one(self, row_id: int) -> Any:
        count = replay(db.session, Outbox.id == row_id)
        flash(
            "Queued again." if count else "Only a failed or dead row can be replayed.",
            "success" if count else "warning",
        )
        return redirect(request.form.get("next") or url_for(".details_view", id=row_id))

    @expose("/replay-dead", methods=["POST"])
    def replay_dead(self) -> Any:
        count = replay(db.session, Outbox.status == "dead")
        flash(f"{count} dead row{'s' * (count != 1)} queued again.", "success")
        return redirect(url_for(".index_view", flt0_status_equals="dead"))
