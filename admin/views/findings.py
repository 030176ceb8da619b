"""Findings: the themes that hold across a recipe's interviews, with their share and quotes."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from admin.base import ReadOnlyView, badge
from hub.models import Finding


def share(value: float) -> Markup:
    percent = round(value * 100)
    return Markup(
        '<span class="d-inline-block" style="width:6rem"><span class="progress" style="height:.6rem">'
        '<span class="progress-bar" style="width:{0}%"></span></span></span> {0}%'
    ).format(percent)


def quotes(items: list[dict[str, Any]]) -> Markup:
    return Markup("").join(
        Markup('<blockquote class="jh-quote mb-1">“{}”</blockquote>').format(q.get("text", ""))
        for q in items[:3]
    )


class FindingView(ReadOnlyView):
    column_list = (
        "id",
        "theme",
        "status",
        "share",
        "interviews",
        "mentions",
        "recipe_id",
        "period",
        "updated_at",
    )
    column_details_list = (
        "id",
        "theme",
        "status",
        "share",
        "interviews",
        "mentions",
        "recipe_id",
        "period",
        "quotes",
        "first_seen_at",
        "updated_at",
    )
    column_searchable_list = ("theme",)
    column_filters = ("status", "recipe_id", "period")
    column_labels = {"recipe_id": "Recipe"}
    column_formatters: dict[str, Any] = {
        "status": lambda v, c, m, p: badge(m.status),
        "share": lambda v, c, m, p: share(m.share),
    }
    column_formatters_detail: dict[str, Any] = {
        **column_formatters,
        "quotes": lambda v, c, m, p: quotes(m.quotes),
    }

    def __init__(self) -> None:
        super().__init__(Finding, "Findings", "Research", endpoint="finding")
