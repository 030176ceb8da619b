"""The intended map over the real funnel: each stage's rate to the next against the one the map
assumes, the gap, what the gap costs, and the stage's findings; stages ranked by cost.

A row describes leaving its stage: of those who entered it, how many reached the next stage.
So its `intended_rate` is the next stage's (the map's assumption of conversion from the stage
before), and its cost is entered × gap × the stage's `value` (money lost per person who leaves
there), counted only where the real rate falls short of the intended one.
"""

from __future__ import annotations

from typing import Any

from recipes.journeys.funnel import StageFigures
from recipes.journeys.schema import JourneyIn


def rows(
    journey: JourneyIn, figures: list[StageFigures], findings: dict[int, list[dict[str, Any]]] | None
) -> list[dict[str, Any]]:
    """One row per stage; `findings` None leaves them out (segment rows)."""
    everyone = figures[0].entered
    out = []
    for number, (stage, figure) in enumerate(zip(journey.stages, figures, strict=True), 1):
        following = journey.stages[number] if number < len(journey.stages) else None
        actual = _share(figure.converted, figure.entered) if following is not None else None
        intended = following.intended_rate if following is not None else None
        gap = round(intended - actual, 4) if intended is not None and actual is not None else None
        cost = None
        if gap is not None and stage.value is not None:
            cost = round(figure.entered * max(gap, 0.0) * stage.value, 2)
        row: dict[str, Any] = {
            "number": number,
            "name": stage.name,
            "next": following.name if following is not None else None,
            "entered": figure.entered,
            "converted": figure.converted,
            "actual_rate": actual,
            "intended_rate": intended,
            "gap": gap,
            "cost": cost,
            "median_hours_to_next": figure.median_hours,
            "p90_hours_to_next": figure.p90_hours,
            "skipped": figure.skipped,
            "skipped_share": _share(figure.skipped, everyone),
            "out_of_order": figure.out_of_order,
            "out_of_order_share": _share(figure.out_of_order, everyone),
            "rank": None,
        }
        if findings is not None:
            row["feeling"] = stage.feeling
            row["recipe_id"] = stage.recipe_id
            row["findings"] = findings.get(stage.recipe_id, []) if stage.recipe_id is not None else []
        out.append(row)
    for rank, row in enumerate(by_cost(out), 1):
        row["rank"] = rank
    return out


def by_cost(stage_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stages that cost something, costliest first: what to fix first."""
    costly = [row for row in stage_rows if row["cost"]]
    return sorted(costly, key=lambda row: (-row["cost"], row["number"]))


def _share(part: int | None, whole: int) -> float | None:
    return round(part / whole, 4) if part is not None and whole else None
