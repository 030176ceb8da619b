"""The funnel's one statement, built from the journey with SQLAlchemy Core (see recipes.journeys.funnel).

CTEs, in order: `m<n>` the events that mark stage n (one indexed scan each, conditions
translated to SQL); `c1` each person's first stage-one event in the period, with their
segment value and whether it is among the largest (`shown`) when a segment is asked for;
`c<n>` each person who reached stage n in order, with when, and when they reached the stage
before (a hash join of `m<n>` with `c<n-1>`, so each step only looks at who is still in);
`seen` per person, the stages from the second on they did at all within their window, in any
order (for the skipped and out-of-order figures); `reached` one row per person and stage
reached. Then per group (everyone, and each shown segment value): counts, the ranks around
the median and 90th percentile of the hours from one stage to the next (row_number(),
interpolated in Python as percentile_cont does, so SQLite runs the same statement), and the
skip figures.

A chain of joins rather than one window pass per stage over every person's rows: both are
plain SQL, and the joins touch fewer rows at each step (on a million events the chain took
about half the CPU time of the window passes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.models import Event, Profile
from recipes.journeys.schema import JourneyIn
from recipes.journeys.sql import JsonValue, translate, uses_traits

SEGMENTS = 20
"""The largest segment values shown; people in the others still count in the totals."""
EVENTS = sa.inspect(Event).local_table
PROFILES = sa.inspect(Profile).local_table
NO_TIME = sa.cast(sa.null(), sa.Float())
NO_VALUE = sa.cast(sa.null(), sa.Text())


def _number(value: int) -> Any:
    """A stage number or group tag written into the statement: ours, never a user's."""
    return sa.literal_column(str(int(value)))


def _epoch(dialect: str, column: Any) -> Any:
    """Seconds since 1970 as a float, so windows and durations are plain arithmetic on both databases."""
    if dialect == "postgresql":
        return sa.func.date_part(sa.literal_column("'epoch'"), column)
    return (sa.func.julianday(column) - 2440587.5) * 86400.0


class _Parts:
    """The CTEs of one funnel; `window` is the journey's window in seconds, a bound parameter."""

    def __init__(
        self, dialect: str, journey: JourneyIn, since: datetime | None, until: datetime, segment: str | None
    ) -> None:
        self.dialect, self.journey, self.since, self.until = dialect, journey, since, until
        self.segment = segment
        self.count = len(journey.stages)
        self.window = sa.bindparam("window_s", journey.window_days * 86400.0, type_=sa.Float())
        self.marks = [self._marks(number) for number in range(1, self.count + 1)]

    def _marks(self, number: int) -> Any:
        stage = self.journey.stages[number - 1]
        end = self.until if number == 1 else self.until + timedelta(days=self.journey.window_days)
        stmt = sa.select(
            EVENTS.c.profile_id.label("pid"), _epoch(self.dialect, EVENTS.c.occurred_at).label("ts")
        ).where(EVENTS.c.name == stage.event, EVENTS.c.occurred_at < end)
        if self.since is not None:
            stmt = stmt.where(EVENTS.c.occurred_at >= self.since)
        if stage.conditions is not None:
            condition = stage.conditions.model_dump(mode="json")
            if uses_traits(condition):
                stmt = stmt.join(PROFILES, PROFILES.c.id == EVENTS.c.profile_id)
            stmt = stmt.where(translate(condition, self.dialect, EVENTS.c.properties, PROFILES.c.traits))
        return stmt.cte(f"m{number}")

    def entry(self) -> Any:
        """`c1` (pid, t1, prev, t[, seg, shown]): when each person entered, and their segment value."""
        m1 = self.marks[0]
        first = sa.func.min(m1.c.ts)
        if self.segment is None:
            return (
                sa.select(m1.c.pid, first.label("t1"), NO_TIME.label("prev"), first.label("t"))
                .group_by(m1.c.pid)
                .cte("c1")
            )
        entered = sa.select(m1.c.pid, first.label("t1")).group_by(m1.c.pid).cte("entered")
        value = JsonValue(self.dialect, PROFILES.c.traits, self.segment.split(".")[1:]).as_text()
        tagged = (
            sa.select(entered.c.pid, entered.c.t1, value.label("seg"))
            .join(PROFILES, PROFILES.c.id == entered.c.pid)
            .cte("tagged")
        )
        top = (
            sa.select(tagged.c.seg, _number(1).label("shown"))
            .group_by(tagged.c.seg)
            .order_by(sa.func.count().desc(), tagged.c.seg)
            .limit(SEGMENTS)
            .cte("top")
        )
        # equality on both parts instead of IS NOT DISTINCT FROM, which no hash join can use
        same_value = sa.and_(
            sa.func.coalesce(tagged.c.seg, "") == sa.func.coalesce(top.c.seg, ""),
            tagged.c.seg.is_(None) == top.c.seg.is_(None),
        )
        return (
            sa.select(
                tagged.c.pid,
                tagged.c.t1,
                NO_TIME.label("prev"),
                tagged.c.t1.label("t"),
                tagged.c.seg,
                sa.func.coalesce(top.c.shown, 0).label("shown"),
            )
            .select_from(tagged.outerjoin(top, same_value))
            .cte("c1")
        )

    def _after(self, number: int, at: Any, before: Any) -> Any:
        """At or after `before`; strictly after when the stage before is the same event, so one
        event never counts for two stages."""
        stages = self.journey.stages
        return at > before if stages[number - 1].event == stages[number - 2].event else at >= before

    def chain(self, entry: Any) -> list[Any]:
        """`c1` then `c2`…`ck`, each the people who reached that stage in order; the segment
        columns ride along only when asked for (each is one more grouping key)."""
        steps = [entry]
        for number in range(2, self.count + 1):
            mark, before = self.marks[number - 1], steps[-1]
            tags = (before.c.seg, before.c.shown) if self.segment is not None else ()
            steps.append(
                sa.select(
                    mark.c.pid,
                    before.c.t1,
                    before.c.t.label("prev"),
                    sa.func.min(mark.c.ts).label("t"),
                    *tags,
                )
                .join(before, before.c.pid == mark.c.pid)
                .where(self._after(number, mark.c.ts, before.c.t), mark.c.ts <= before.c.t1 + self.window)
                .group_by(mark.c.pid, before.c.t1, before.c.t, *tags)
                .cte(f"c{number}")
            )
        return steps

    def tags(self, source: Any) -> tuple[Any, Any]:
        """The (seg, shown) columns of a row source, or constants when there is no segment."""
        if self.segment is None:
            return NO_VALUE.label("seg"), _number(0).label("shown")
        return source.c.seg, source.c.shown

    def seen(self, entry: Any) -> Any:
        """Per person who did any later stage in their window: `d<n>` is 1 when they did stage n."""
        later = sa.union_all(
            *(
                sa.select(mark.c.pid, mark.c.ts, _number(number).label("j"))
                for number, mark in enumerate(self.marks[1:], 2)
            )
        ).subquery("later")
        stages = self.journey.stages
        inside = sa.and_(later.c.ts >= entry.c.t1, later.c.ts <= entry.c.t1 + self.window)
        flags = [
            sa.func.max(
                sa.case((sa.and_(later.c.j == number, later.c.ts > entry.c.t1), 1), else_=0)
                if stages[number - 1].event == stages[0].event
                else sa.case((later.c.j == number, 1), else_=0)
            ).label(f"d{number}")
            for number in range(2, self.count + 1)
        ]
        tags = (entry.c.seg, entry.c.shown) if self.segment is not None else ()
        return (
            sa.select(later.c.pid, *self.tags(entry), *flags)
            .join(entry, entry.c.pid == later.c.pid)
            .where(inside)
            .group_by(later.c.pid, *tags)
            .cte("seen")
        )

    def skips(self, seen: Any) -> Any:
        """One row per group: `skipped<n>` (did a later stage, never this one) and `seen<n>` (did it at all)."""
        columns = []
        for number in range(2, self.count + 1):
            did = seen.c[f"d{number}"]
            later = [seen.c[f"d{m}"] == 1 for m in range(number + 1, self.count + 1)]
            skipped = sa.case((sa.and_(did == 0, sa.or_(*later)), 1), else_=0) if later else _number(0)
            columns += [
                sa.func.sum(skipped).label(f"skipped{number}"),
                sa.func.sum(did).label(f"seen{number}"),
            ]
        groups = [sa.select(_number(0).label("grp"), NO_VALUE.label("seg"), *columns)]
        if self.segment is not None:
            groups.append(
                sa.select(_number(1).label("grp"), seen.c.seg, *columns)
                .where(seen.c.shown == 1)
                .group_by(seen.c.seg)
            )
        return sa.union_all(*groups).cte("skips")


def statement(
    dialect: str, journey: JourneyIn, since: datetime | None, until: datetime, segment: str | None
) -> sa.Select[Any]:
    """Rows (grp, seg, stage, entered, n, med_lo, med_hi, p90_lo, p90_hi, skipped<n>…, seen<n>…):
    grp 0 is everyone, grp 1 one segment value (the largest `SEGMENTS` only)."""
    parts = _Parts(dialect, journey, since, until, segment)
    entry = parts.entry()
    steps = parts.chain(entry)
    reached = sa.union_all(
        *(
            sa.select(_number(number).label("stage"), step.c.t, step.c.prev, *parts.tags(step))
            for number, step in enumerate(steps, 1)
        )
    ).cte("reached")
    columns = (reached.c.stage, reached.c.t, reached.c.prev)
    groups = [sa.select(_number(0).label("grp"), NO_VALUE.label("seg"), *columns)]
    if segment is not None:
        groups.append(sa.select(_number(1).label("grp"), reached.c.seg, *columns).where(reached.c.shown == 1))
    per_person = sa.union_all(*groups).cte("per_person")
    return _figures(per_person, parts.skips(parts.seen(entry)), parts.count)


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
    numbers = sa.union_all(*(sa.select(_number(n).label("stage")) for n in range(1, count + 1))).cte(
        "numbers"
    )
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
