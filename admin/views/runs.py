"""Runs: what each job did, with its figures and its steps in order."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from admin.base import ReadOnlyView, as_json, badge
from admin.filters import when
from hub.models import Run


def steps(run: Run) -> Markup:
    rows = Markup("").join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            s.name, badge(s.status), f"{s.duration_ms} ms" if s.duration_ms is not None else "", s.error or ""
        )
        for s in run.steps[:200]
    )
    head = Markup(
        '<thead><tr><th scope="col">Step</th><th scope="col">Outcome</th><th scope="col">Took</th>'
        '<th scope="col">Error</th></tr></thead>'
    )
    return Markup('<table class="table table-sm mb-0">{}<tbody>{}</tbody></table>').format(head, rows)


class RunView(ReadOnlyView):
    column_list = ("id", "kind", "subject", "status", "started_at", "duration_ms", "error")
    column_details_list = (
        "id",
        "kind",
        "subject",
        "status",
        "started_at",
        "finished_at",
        "duration_ms",
        "error",
        "stats",
        "steps",
    )
    column_filters = ("kind", "status", "subject", *when(Run.started_at, "Started"))
    column_searchable_list = ("subject",)
    column_labels = {"duration_ms": "Took (ms)"}
    column_formatters: dict[str, Any] = {"status": lambda v, c, m, p: badge(m.status)}
    column_formatters_detail: dict[str, Any] = {
        **column_formatters,
        "stats": lambda v, c, m, p: as_json(m.stats),
        "steps": lambda v, c, m, p: steps(m),
    }

    def __init__(self) -> None:
        super().__init__(Run, "Runs", "Operations", endpoint="run")
