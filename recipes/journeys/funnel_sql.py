"""The funnel's one statement, built from the journey with SQLAlchemy Core (see recipes.journeys.funnel).

CTEs, in order: `m<n>` the events that mark stage n (one indexed scan each, conditions
translated to SQL); `c1` each person's entry, their first stage-one event in the period;
`c<n>` each person who reached stage n in order, with when, and when they reached the stage
before (a hash join of `m<n>` with `c<n-1>`, so each step only looks at who is still in);
`seen` per person, the stages from the second on they did at all within their window, in
any order (for the skipped and out-of-order shares); `reached` one row per person and stage
reached. Counts, the median and 90th percentile of the hours from one stage to the next
(ranks from row_number(), interpolated as percentile_cont does, so SQLite runs the same
statement), and the skip figures come out as one row per stage, and with a segment, one
more per stage and segment value.

A chain of joins rather than one window pass per stage over every person's rows: both are
plain SQL, and the joins touch fewer rows at each step (measured in bench/funnel.py).
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
Tag = tuple[Any, Any]
"""A group's segment column and what to join it through (None for everyone)."""


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

    def __init__(self, dialect: str, journey: JourneyIn, since: datetime | None, until: datetime) -> None:
        self.dialect, self.journey, self.since, self.until = dialect, journey, since, until
        self.window = sa.bindparam("window_s", journey.window_days * 86400.0, type_=sa.Float())
        self.marks = [self._marks(number) for number in range(1, len(journey.stages) + 1)]

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

    def _after(self, number: int, at: Any, before: Any) -> Any:
        """At or after `before`; strictly after when the stage before is the same event, so one
        event never counts for two stages."""
        stages = self.journey.stages
        return at > before if stages[number - 1].event == stages[number - 2].event else at >= before

    def chain(self) -> list[Any]:
        """`c1` (pid, t1, prev, t) then `c2`…`ck`, each the people who reached that stage in order."""
        m1 = self.marks[0]
        first = sa.func.min(m1.c.ts)
        steps = [
            sa.select(m1.c.pid, first.label("t1"), NO_TIME.label("prev"), first.label("t"))
            .group_by(m1.c.pid)
            .cte("c1")
        ]
        for number in range(2, len(self.marks) + 1):
            mark, before = self.marks[number - 1], steps[-1]
            steps.append(
                sa.select(
                    mark.c.pid, before.c.t1, before.c.t.label("prev"), sa.func.min(mark.c.ts).label("t")
                )
                .join(before, before.c.pid == mark.c.pid)
                .where(self._after(number, mark.c.ts, before.c.t), mark.c.ts <= before.c.t1 + self.window)
                .group_by(mark.c.pid, before.c.t1, before.c.t)
                .cte(f"c{number}")
            )
        return steps

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
            for number in range(2, len(stages) + 1)
        ]
        return (
            sa.select(later.c.pid, *flags)
            .join(entry, entry.c.pid == later.c.pid)
            .where(inside)
            .group_by(later.c.pid)
            .cte("seen")
        )


def statement(
    dialect: str, journey: JourneyIn, since: datetime | None, until: datetime, segment: str | None
) -> sa.Select[Any]:
    """Rows (grp, seg, stage, entered, n, med_lo, med_hi, p90_lo, p90_hi, skipped, seen): grp 0 is
    everyone, grp 1 one segment value (the largest `SEGMENTS` only)."""
    parts = _Parts(dialect, journey, since, until)
    steps = parts.chain()
    reached = sa.union_all(
        *(
            sa.select(step.c.pid, _number(number).label("stage"), step.c.t, step.c.prev)
            for number, step in enumerate(steps, 1)
        )
    ).cte("reached")
    seen = parts.seen(steps[0])
    groups: list[tuple[int, Tag]] = [(0, (sa.cast(sa.null(), sa.Text()), None))]
    if segment is not None:
        value = JsonValue(dialect, PROFILES.c.traits, segment.split(".")[1:]).as_text()
        tagged = (
            sa.select(steps[0].c.pid, value.label("seg"))
            .join(PROFILES, PROFILES.c.id == steps[0].c.pid)
            .cte("tagged")
        )
        top = (
            sa.select(tagged.c.seg)
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
        chosen = sa.select(tagged.c.pid, tagged.c.seg).join(top, same_value).cte("chosen")
        groups.append((1, (chosen.c.seg, chosen)))
    per_person = [_per_person(grp, reached, tag) for grp, tag in groups]
    skips = [row for grp, tag in groups for row in _skips(grp, seen, tag, len(journey.stages))]
    return _figures(
        sa.union_all(*per_person).cte("per_person"), sa.union_all(*skips).cte("skips"), len(journey.stages)
    )


def _per_person(grp: int, reached: Any, tag: Tag) -> sa.Select[Any]:
    column, chosen = tag
    stmt = sa.select(
        _number(grp).label("grp"), column.label("seg"), reached.c.stage, reached.c.t, reached.c.prev
    )
    if chosen is not None:
        stmt = stmt.select_from(reached.join(chosen, chosen.c.pid == reached.c.pid))
    return stmt


def _skips(grp: int, seen: Any, tag: Tag, count: int) -> list[sa.Select[Any]]:
    """Per stage from the second: who skipped it (did a later stage, never this one) and who did it at all."""
    column, chosen = tag
    source = seen if chosen is None else seen.join(chosen, chosen.c.pid == seen.c.pid)
    rows = []
    for number in range(2, count + 1):
        did = seen.c[f"d{number}"]
        later = [seen.c[f"d{m}"] == 1 for m in range(number + 1, count + 1)]
        skipped: Any = sa.literal_column("0")
        if later:
            skipped = sa.case((sa.and_(did == 0, sa.or_(*later)), 1), else_=0)
        rows.append(
            sa.select(
                _number(grp).label("grp"),
                column.label("seg"),
                _number(number).label("stage"),
                sa.func.sum(skipped).label("skipped"),
                sa.func.sum(did).label("seen"),
            )
            .select_from(source)
            .group_by(column)
        )
    return rows


def _figures(per_person: Any, skips: Any, count: int) -> sa.Select[Any]:
    """One row per group and stage: entered, the skip figures, and the ranks around the median
    and 90th percentile of the hours to the next stage (counted on the next stage's rows).
    Every group has people at stage one, so its rows there name the groups; each gets every
    stage, reached by anyone or not."""
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

    def same(other: Any) -> Any:
        return sa.and_(
            base.c.grp == other.c.grp,
            base.c.seg.is_not_distinct_from(other.c.seg),
            base.c.stage == other.c.stage,
        )

    return (
        sa.select(
            base,
            counts.c.entered,
            pct.c.n,
            pct.c.med_lo,
            pct.c.med_hi,
            pct.c.p90_lo,
            pct.c.p90_hi,
            skips.c.skipped,
            skips.c.seen,
        )
        .select_from(
            base.outerjoin(counts, same(counts)).outerjoin(pct, same(pct)).outerjoin(skips, same(skips))
        )
        .order_by(base.c.grp, base.c.seg, base.c.stage)
    )
