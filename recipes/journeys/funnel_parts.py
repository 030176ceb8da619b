"""What both ways of computing the funnel share: the stage events, the segment tags, the skip
figures. recipes.journeys.funnel_chain (PostgreSQL) and recipes.journeys.funnel_windows
(SQLite) each turn these into `reached` (one row per person and stage reached in order, with
when they reached the stage before) and `seen` (per person, which later stages they did at
all within their window), and recipes.journeys.funnel_sql counts them."""

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


def number(value: int) -> Any:
    """A stage number or group tag written into the statement: ours, never a user's."""
    return sa.literal_column(str(int(value)))


def epoch(dialect: str, column: Any) -> Any:
    """Seconds since 1970 as a float, so windows and durations are plain arithmetic on both databases."""
    if dialect == "postgresql":
        return sa.func.date_part(sa.literal_column("'epoch'"), column)
    return (sa.func.julianday(column) - 2440587.5) * 86400.0


def _later(moment: datetime, days: int) -> datetime | None:
    """`days` after `moment`, or None past the last moment Python can hold (no end at all)."""
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        return None


class Parts:
    """The pieces of one funnel; `window` is the journey's window in seconds, a bound parameter."""

    def __init__(
        self, dialect: str, journey: JourneyIn, since: datetime | None, until: datetime, segment: str | None
    ) -> None:
        self.dialect, self.journey, self.since, self.until = dialect, journey, since, until
        self.segment = segment
        self.count = len(journey.stages)
        self.window = sa.bindparam("window_s", journey.window_days * 86400.0, type_=sa.Float())
        self.marks = [self._marks(n) for n in range(1, self.count + 1)]

    def _marks(self, stage_number: int) -> Any:
        """`m<n>` (pid, ts): the events that mark stage n, from stage one's period to its window's end."""
        stage = self.journey.stages[stage_number - 1]
        stmt = sa.select(
            EVENTS.c.profile_id.label("pid"), epoch(self.dialect, EVENTS.c.occurred_at).label("ts")
        ).where(EVENTS.c.name == stage.event)
        end = self.until if stage_number == 1 else _later(self.until, self.journey.window_days)
        if end is not None:
            stmt = stmt.where(EVENTS.c.occurred_at < end)
        if self.since is not None:
            stmt = stmt.where(EVENTS.c.occurred_at >= self.since)
        if stage.conditions is not None:
            condition = stage.conditions.model_dump(mode="json")
            if uses_traits(condition):
                stmt = stmt.join(PROFILES, PROFILES.c.id == EVENTS.c.profile_id)
            stmt = stmt.where(translate(condition, self.dialect, EVENTS.c.properties, PROFILES.c.traits))
        return stmt.cte(f"m{stage_number}")

    def same_event(self, stage_number: int, other: int) -> bool:
        stages = self.journey.stages
        return stages[stage_number - 1].event == stages[other - 1].event

    def after(self, stage_number: int, at: Any, before: Any) -> Any:
        """At or after `before`; strictly after when the stage before is the same event, so one
        event never counts for two stages."""
        return at > before if self.same_event(stage_number, stage_number - 1) else at >= before

    def tagged(self, people: Any) -> Any:
        """`people` (pid, …) with `seg`, the person's segment value, and `shown`, 1 when that value
        is among the `SEGMENTS` largest; the columns as they are without a segment."""
        if self.segment is None:
            return people
        value = JsonValue(self.dialect, PROFILES.c.traits, self.segment.split(".")[1:]).as_text()
        valued = (
            sa.select(people, value.label("seg")).join(PROFILES, PROFILES.c.id == people.c.pid).cte("valued")
        )
        top = (
            sa.select(valued.c.seg, number(1).label("shown"))
            .group_by(valued.c.seg)
            .order_by(sa.func.count().desc(), valued.c.seg)
            .limit(SEGMENTS)
            .cte("top")
        )
        # equality on both parts instead of IS NOT DISTINCT FROM, which no hash join can use
        same_value = sa.and_(
            sa.func.coalesce(valued.c.seg, "") == sa.func.coalesce(top.c.seg, ""),
            valued.c.seg.is_(None) == top.c.seg.is_(None),
        )
        return (
            sa.select(valued, sa.func.coalesce(top.c.shown, 0).label("shown"))
            .select_from(valued.outerjoin(top, same_value))
            .cte("tagged")
        )

    def tags(self, source: Any) -> tuple[Any, Any]:
        """The (seg, shown) columns of a row source, or constants when there is no segment."""
        if self.segment is None:
            return NO_VALUE.label("seg"), number(0).label("shown")
        return source.c.seg, source.c.shown

    def skips(self, seen: Any) -> Any:
        """One row per group: `skipped<n>` (did a later stage, never this one) and `seen<n>` (did it at all)."""
        columns = []
        for stage_number in range(2, self.count + 1):
            did = seen.c[f"d{stage_number}"]
            later = [seen.c[f"d{m}"] == 1 for m in range(stage_number + 1, self.count + 1)]
            skipped = sa.case((sa.and_(did == 0, sa.or_(*later)), 1), else_=0) if later else number(0)
            columns += [
                sa.func.sum(skipped).label(f"skipped{stage_number}"),
                sa.func.sum(did).label(f"seen{stage_number}"),
            ]
        groups = [sa.select(number(0).label("grp"), NO_VALUE.label("seg"), *columns)]
        if self.segment is not None:
            groups.append(
                sa.select(number(1).label("grp"), seen.c.seg, *columns)
                .where(seen.c.shown == 1)
                .group_by(seen.c.seg)
            )
        return sa.union_all(*groups).cte("skips")
