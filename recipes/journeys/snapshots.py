"""Keeping the funnel alive: a snapshot of each stage's rate on a schedule, and a journey-changed
event when a rate moved by more than the journey's `alert_change` since the rate last told.

The first snapshot with enough people at a stage sets its baseline; after that a change is
told once (the told rate becomes the new baseline), so a rate that stays down is not told
again at every snapshot. A stage with fewer than `alert_min_entered` people says nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Journey, JourneyChange, JourneySnapshot
from recipes.actions.journey import after_journey_changes
from recipes.journeys.funnel import measure
from recipes.journeys.overlay import rows
from recipes.journeys.reasons import findings_by_recipe
from recipes.journeys.schema import JourneyIn

REASONS = 3


def claim(session: Session, journey_id: int, now: datetime, every_hours: int) -> bool:
    """Takes the journey's due snapshot for this caller alone: one conditional UPDATE."""
    claimed = session.execute(
        sa.update(Journey)
        .where(
            Journey.id == journey_id,
            sa.or_(Journey.next_snapshot_at.is_(None), Journey.next_snapshot_at <= now),
        )
        .values(next_snapshot_at=now + timedelta(hours=every_hours))
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def take(session: Session, journey: Journey, now: datetime) -> tuple[JourneySnapshot, list[JourneyChange]]:
    """Measures the trailing `snapshot_days`, stores the snapshot, any changes and the result actions
    they call for (recipes.actions.journey); the caller commits."""
    spec = JourneyIn.model_validate(journey.definition)
    since = now - timedelta(days=spec.snapshot_days)
    figures = measure(session, spec, since, now).stages
    findings = findings_by_recipe(session, (stage.recipe_id for stage in spec.stages))
    stage_rows = rows(spec, figures, findings)
    snapshot = JourneySnapshot(
        journey_id=journey.id,
        taken_at=now,
        since=since,
        until=now,
        stages=[
            {key: row[key] for key in ("number", "name", "next", "entered", "converted", "actual_rate")}
            for row in stage_rows
        ],
    )
    session.add(snapshot)
    session.flush()
    locked = session.scalar(
        sa.select(Journey)
        .where(Journey.id == journey.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None  # noqa: S101 - the journey was read in this transaction
    announced = dict(locked.announced)
    changes = [
        change for row in stage_rows if (change := _change(spec, row, announced, snapshot, now)) is not None
    ]
    locked.announced = announced
    session.add_all(changes)
    session.flush()
    after_journey_changes(session, journey, spec, changes, now)
    return snapshot, changes


def _change(
    spec: JourneyIn, row: dict[str, Any], announced: dict[str, Any], snapshot: JourneySnapshot, now: datetime
) -> JourneyChange | None:
    rate, key = row["actual_rate"], str(row["number"])
    if rate is None or row["entered"] < spec.alert_min_entered:
        return None
    before = announced.get(key)
    if before is None:
        announced[key] = rate
        return None
    if abs(rate - before) <= spec.alert_change:
        return None
    announced[key] = rate
    reasons = [
        {"theme": f["theme"], "share": f["share"], "status": f["status"]} for f in row["findings"][:REASONS]
    ]
    return JourneyChange(
        journey_id=snapshot.journey_id,
        snapshot_id=snapshot.id,
        stage=row["number"],
        stage_name=row["name"],
        next_stage=row["next"],
        rate_before=before,
        rate=rate,
        entered=row["entered"],
        reasons=reasons,
        summary=summary(row, before, rate, spec.snapshot_days, reasons),
        at=now,
    )


def summary(row: dict[str, Any], before: float, rate: float, days: int, reasons: list[dict[str, Any]]) -> str:
    """`Checkout → Paid fell from 41% to 33% over the last 7 days; top reasons: price (40%)`."""
    moved = "fell" if rate < before else "rose"
    text = f"{row['name']} → {row['next']} {moved} from {before:.0%} to {rate:.0%} over the last {days} days"
    if reasons:
        text += "; top reasons: " + ", ".join(f"{r['theme']} ({r['share']:.0%})" for r in reasons)
    return text
