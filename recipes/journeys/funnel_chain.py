"""The funnel's people on PostgreSQL: a chain of hash joins, one per stage.

`c1` is each person's first stage-one event in the period; `c<n>` joins the events of stage n
with `c<n-1>`, so each step only looks at who is still in. On a million events this took about
half the CPU time of one window pass per stage over every person's rows, and PostgreSQL plans
these joins well. (SQLite, without statistics on CTEs, may loop over one CTE per row of the
other; it runs recipes.journeys.funnel_windows instead.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from recipes.journeys.funnel_parts import NO_TIME, Parts, number


def people(parts: Parts) -> tuple[Any, Any]:
    """(`reached`, `seen`): see recipes.journeys.funnel_parts."""
    m1 = parts.marks[0]
    entered = sa.select(m1.c.pid, sa.func.min(m1.c.ts).label("t1")).group_by(m1.c.pid).cte("entered")
    tagged = parts.tagged(entered)
    entry = sa.select(tagged, NO_TIME.label("prev"), tagged.c.t1.label("t")).cte("c1")
    steps = [entry]
    for stage_number in range(2, parts.count + 1):
        mark, before = parts.marks[stage_number - 1], steps[-1]
        tags = (before.c.seg, before.c.shown) if parts.segment is not None else ()
        steps.append(
            sa.select(
                mark.c.pid, before.c.t1, before.c.t.label("prev"), sa.func.min(mark.c.ts).label("t"), *tags
            )
            .join(before, before.c.pid == mark.c.pid)
            .where(parts.after(stage_number, mark.c.ts, before.c.t), mark.c.ts <= before.c.t1 + parts.window)
            .group_by(mark.c.pid, before.c.t1, before.c.t, *tags)
            .cte(f"c{stage_number}")
        )
    reached = sa.union_all(
        *(
            sa.select(number(n).label("stage"), step.c.t, step.c.prev, *parts.tags(step))
            for n, step in enumerate(steps, 1)
        )
    ).cte("reached")
    return reached, _seen(parts, entry)


def _seen(parts: Parts, entry: Any) -> Any:
    """Per person who did any later stage in their window: `d<n>` is 1 when they did stage n."""
    later = sa.union_all(
        *(sa.select(mark.c.pid, mark.c.ts, number(n).label("j")) for n, mark in enumerate(parts.marks[1:], 2))
    ).subquery("later")
    inside = sa.and_(later.c.ts >= entry.c.t1, later.c.ts <= entry.c.t1 + parts.window)
    flags = [
        sa.func.max(
            sa.case((sa.and_(later.c.j == n, later.c.ts > entry.c.t1), 1), else_=0)
            if parts.same_event(n, 1)
            else sa.case((later.c.j == n, 1), else_=0)
        ).label(f"d{n}")
        for n in range(2, parts.count + 1)
    ]
    tags = (entry.c.seg, entry.c.shown) if parts.segment is not None else ()
    return (
        sa.select(later.c.pid, *parts.tags(entry), *flags)
        .join(entry, entry.c.pid == later.c.pid)
        .where(inside)
        .group_by(later.c.pid, *tags)
        .cte("seen")
    )
