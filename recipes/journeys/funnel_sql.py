"""The funnel's one statement, built from the journey with SQLAlchemy Core (see recipes.journeys.funnel).

The stage events and what both databases share are in recipes.journeys.funnel_parts; who
reached which stage comes from a chain of joins on PostgreSQL (recipes.journeys.funnel_chain)
and from window passes on SQLite (recipes.journeys.funnel_windows). Here they are counted per
group (everyone, and each shown segment value): people per stage, the ranks around the median
and 90th percentile of the hours from one stage to the next (row_number(), interpolated in
Python as percentile_cont does), and the skip figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from recipes.journeys import funnel_chain, funnel_windows
from recipes.journeys.funnel_parts import NO_VALUE, Parts, number
from recipes.journeys.schema import JourneyIn


def statement(
    dialect: str, journey: JourneyIn, since: datetime | None, until: datetime, segment: str | None
) -> sa.Select[Any]:
    """Rows (grp, seg, stage, entered, n, med_lo, med_hi, p90_lo, p90_hi, skipped<n>…, seen<n>…):
    grp 0 is everyone, grp 1 one segment value (the largest `SEGMENTS` only)."""
    parts = Parts(dialect, journey, since, until, segment)
    people = funnel_chain.people if dialect == "postgresql" else funnel_windows.people
    reached, seen = people(parts)
    columns = (reached.c.stage, reached.c.t, reached.c.prev)
    groups = [sa.select(number(0).label("grp"), NO_VALUE.label("seg"), *columns)]
    if segment is not None:
        groups.append(sa.select(number(1).label("grp"), reached.c.seg, *columns).where(reached.c.shown == 1))
    per_person = sa.union_all(*groups).cte("per_person")
    return _figures(per_person, parts.skips(seen), parts.count)


def _figures(per_person: Any, skips: Any, count: int) -> sa.Select[Any]:
    """One row per group and stage: entered, and the ranks around the median and 90th percentile
    of the hours to the next stage (counted on the next stage's rows), with the group's skip
    figures beside it. Every group has people at stage one, so its rows there name the groups;
    each gets every stage, reached by anyone or not."""
    keys = (per_person.c.grp, per_person.c.seg, per_person.c.stage)
    counts = sa.select(*keys, sa.func.count().label("entered")).group_by(*keys).cte("counts")
    hours = (per_person.c.t - per_person.c.prev) / 3600.0
    ranked = (
        sa.select(
            *keys,
            hours.label("h"),
            (sa.func.row_number().over(partition_by=keys, order_by=hours) - 1).label("rn"),
            sa.func.count().over(partition_by=keys).label("n"),
        )
        .where(per_person.c.prev.is_not(None))
        .cte("ranked")
    )

    def at_rank(tenths: int, step: int, name: str) -> Any:
        rank = (ranked.c.n - 1) * tenths // 10 + step
        return sa.func.max(sa.case((ranked.c.rn == rank, ranked.c.h))).label(name)

    pct = (
        sa.select(
            ranked.c.grp,
            ranked.c.seg,
            (ranked.c.stage - 1).label("stage"),
            sa.func.max(ranked.c.n).label("n"),
            at_rank(5, 0, "med_lo"),
            at_rank(5, 1, "med_hi"),
            at_rank(9, 0, "p90_lo"),
            at_rank(9, 1, "p90_hi"),
        )
        .group_by(ranked.c.grp, ranked.c.seg, ranked.c.stage)
        .cte("pct")
    )
    numbers = sa.union_all(*(sa.select(number(n).label("stage")) for n in range(1, count + 1))).cte("numbers")
    named = sa.select(counts.c.grp, counts.c.seg).where(counts.c.stage == 1).cte("named")
    base = (
        sa.select(named.c.grp, named.c.seg, numbers.c.stage)
        .select_from(named.join(numbers, sa.true()))
        .cte("base")
    )

    def same(other: Any, by_stage: bool = True) -> Any:
        parts = [base.c.grp == other.c.grp, base.c.seg.is_not_distinct_from(other.c.seg)]
        return sa.and_(*parts, base.c.stage == other.c.stage) if by_stage else sa.and_(*parts)

    figures = [pct.c.n, pct.c.med_lo, pct.c.med_hi, pct.c.p90_lo, pct.c.p90_hi]
    skip_columns = [column for column in skips.c if column.name.startswith(("skipped", "seen"))]
    return (
        sa.select(base, counts.c.entered, *figures, *skip_columns)
        .select_from(
            base.outerjoin(counts, same(counts))
            .outerjoin(pct, same(pct))
            .outerjoin(skips, same(skips, by_stage=False))
        )
        .order_by(base.c.grp, base.c.seg, base.c.stage)
    )
