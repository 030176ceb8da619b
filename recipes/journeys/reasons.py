"""Why people leave a stage: the findings of the recipe that asks them (recipes.insights)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Finding

SHOWN = 5
QUOTES = 2
PERIOD = "all"
"""Findings over every interview the recipe fired: the themes, not one month's."""


def findings_by_recipe(session: Session, recipe_ids: Iterable[int | None]) -> dict[int, list[dict[str, Any]]]:
    """Per recipe, its themes by share (findings first, then emerging), with a few quotes each; one query."""
    wanted = sorted({r for r in recipe_ids if r is not None})
    found: dict[int, list[dict[str, Any]]] = {r: [] for r in wanted}
    if not wanted:
        return found
    rows = session.scalars(
        sa.select(Finding)
        .where(Finding.recipe_id.in_(wanted), Finding.period == PERIOD)
        .order_by(Finding.recipe_id, (Finding.status == "finding").desc(), Finding.share.desc(), Finding.id)
    )
    for finding in rows:
        shown = found[finding.recipe_id]
        if len(shown) < SHOWN:
            shown.append(
                {
                    "theme": finding.theme,
                    "share": finding.share,
                    "interviews": finding.interviews,
                    "status": finding.status,
                    "quotes": [
                        {"text": q["text"], "result_id": q["result_id"]} for q in finding.quotes[:QUOTES]
                    ],
                }
            )
    return found
