"""The real funnel, measured in the database in one statement: no event is loaded into Python.

A person enters the journey at their first stage-one event in [since, until). Stage n counts
when they reach it in order: their first stage-n event at or after the moment they reached
stage n-1 (strictly after when both stages are the same event, so one event never counts
twice), within `window_days` of entering. People are profile ids; a merge moves the merged
profile's events to the survivor (hub.inbound.identity), so a merged person is counted once.
Beside the ordered path: who skipped a stage (did a later one within their window, never this
one) and who did it out of order (did it within their window, but not after the stage before).
The statement itself is in recipes.journeys.funnel_sql.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from recipes.journeys.funnel_sql import statement
from recipes.journeys.schema import JourneyIn

POSTGRES_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'")
"""For this transaction only: JIT compiling costs more than it saves on a query planned from
CTEs without statistics, and the hash tables of a few hundred thousand people fit in memory."""


@dataclass(frozen=True)
class StageFigures:
    entered: int
    converted: int | None
    """Who reached the next stage in order; None on the last stage."""
    skipped: int
    out_of_order: int
    median_hours: float | None
    p90_hours: float | None
    """Hours from this stage to the next, among those who converted."""


@dataclass(frozen=True)
class Funnel:
    stages: list[StageFigures]
    segments: list[tuple[str | None, list[StageFigures]]]
    """Per segment value, largest first; empty unless a segment was asked for."""


def measure(
    session: Session, journey: JourneyIn, since: datetime | None, until: datetime, segment: str | None = None
) -> Funnel:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        for setting in POSTGRES_SETTINGS:
            session.execute(sa.text(setting))
    rows: dict[tuple[int, str | None], dict[int, Any]] = {}
    for row in session.execute(statement(dialect, journey, since, until, segment)):
        rows.setdefault((row.grp, row.seg), {})[row.stage] = row
    count = len(journey.stages)
    segments = [(seg, _stages(found, count)) for (grp, seg), found in rows.items() if grp == 1]
    segments.sort(key=lambda item: (-item[1][0].entered, str(item[0])))
    return Funnel(_stages(rows.get((0, None), {}), count), segments)


def _stages(found: dict[int, Any], count: int) -> list[StageFigures]:
    """Figures for stages 1…count; a stage nobody reached has no row."""
    entered = [int(found[n].entered or 0) if n in found else 0 for n in range(1, count + 1)]
    figures = []
    for number in range(1, count + 1):
        row = found.get(number)
        later = row is not None and number > 1
        seen = int(getattr(row, f"seen{number}") or 0) if later else entered[number - 1]
        figures.append(
            StageFigures(
                entered=entered[number - 1],
                converted=entered[number] if number < count else None,
                skipped=int(getattr(row, f"skipped{number}") or 0) if later else 0,
                out_of_order=max(0, seen - entered[number - 1]),
                median_hours=_between(row, 0.5, "med") if row is not None else None,
                p90_hours=_between(row, 0.9, "p90") if row is not None else None,
            )
        )
    return figures


def _between(row: Any, fraction: float, name: str) -> float | None:
    """percentile_cont: the value at rank fraction*(n-1), between the two nearest ranks."""
    low, high = getattr(row, f"{name}_lo"), getattr(row, f"{name}_hi")
    if not row.n or low is None:
        return None
    position = fraction * (row.n - 1)
    share = position - int(position)
    value = low if high is None else low + share * (high - low)
    return round(float(value), 3)
