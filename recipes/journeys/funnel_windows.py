"""The funnel's people on SQLite: one sort by person, then one window pass per stage.

`l1` finds each person's entry (their first stage-one event) over all their stage rows; `l2`
keeps the rows inside their window and finds stage two and the first time they did each later
stage in any order; `l<n>` finds stage n, at or after stage n-1. Sorting is all the work, so
the time grows as n log n whatever SQLite guesses about the sizes of CTEs (it has no
statistics on them, and joins between them can turn into a loop over one per row of the other).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from recipes.journeys.funnel_parts import NO_TIME, Parts, number


def people(parts: Parts) -> tuple[Any, Any]:
    """(`reached`, `seen`): see recipes.journeys.funnel_parts."""
    rows = sa.union_all(
        *(sa.select(mark.c.pid, mark.c.ts, number(n).label("j")) for n, mark in enumerate(parts.marks, 1))
    ).subquery("rows")

    def first(level: Any, test: Any) -> Any:
        return sa.func.min(sa.case((test, level.c.ts))).over(partition_by=level.c.pid)

    level = sa.select(rows, first(rows, rows.c.j == 1).label("t1")).cte("l1")
    anyway = [
        first(
            level,
            sa.and_(level.c.j == n, level.c.ts > level.c.t1) if parts.same_event(n, 1) else level.c.j == n,
        ).label(f"a{n}")
        for n in range(3, parts.count + 1)
    ]
    reached = ["t1"]
    for stage_number in range(2, parts.count + 1):
        before = level.c[reached[-1]]
        found = first(
            level, sa.and_(level.c.j == stage_number, parts.after(stage_number, level.c.ts, before))
        )
        stmt = sa.select(level, found.label(f"t{stage_number}"))
        if stage_number == 2:
            stmt = stmt.add_columns(*anyway).where(
                level.c.t1.is_not(None), level.c.ts >= level.c.t1, level.c.ts <= level.c.t1 + parts.window
            )
        reached.append(f"t{stage_number}")
        level = stmt.cte(f"l{stage_number}")
    times = [*reached, *(f"a{n}" for n in range(3, parts.count + 1))]
    person = parts.tagged(
        sa.select(level.c.pid, *(sa.func.min(level.c[name]).label(name) for name in times))
        .group_by(level.c.pid)
        .cte("person")
    )
    stages = sa.union_all(
        *(
            sa.select(
                number(n).label("stage"),
                person.c[f"t{n}"].label("t"),
                (person.c[f"t{n - 1}"] if n > 1 else NO_TIME).label("prev"),
                *parts.tags(person),
            ).where(person.c[f"t{n}"].is_not(None))
            for n in range(1, parts.count + 1)
        )
    ).cte("reached")
    did = [
        sa.case(((person.c["t2"] if n == 2 else person.c[f"a{n}"]).is_not(None), 1), else_=0).label(f"d{n}")
        for n in range(2, parts.count + 1)
    ]
    seen = sa.select(person.c.pid, *parts.tags(person), *did).cte("seen")
    return stages, seen
