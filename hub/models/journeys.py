"""Journeys: the intended path as saved, its funnel's daily snapshots, and journey-changed events.

`announced` holds, per stage number, the rate the last journey-changed event told (or the
first snapshot's, as the baseline), so a rate that moved is told once, not at every snapshot.
`next_snapshot_at` is claimed by a conditional UPDATE, so two workers never take the same
snapshot twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, utcnow

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Journey(Base):
    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    announced: Mapped[dict[str, Any]] = mapped_column(default=dict)
    next_snapshot_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JourneySnapshot(Base):
    """The funnel as measured at `taken_at`, over people who entered in [since, until)."""

    __tablename__ = "journey_snapshots"
    __table_args__ = (sa.Index("ix_journey_snapshots_journey_id_taken_at", "journey_id", "taken_at"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column()
    since: Mapped[datetime] = mapped_column()
    until: Mapped[datetime] = mapped_column()
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class JourneyChange(Base):
    """A stage's rate to the next moved by more than the journey's `alert_change`: what result
    actions push (`summary` reads "Checkout → Paid fell from 41% to 33% …; top reasons: …")."""

    __tablename__ = "journey_changes"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[int] = mapped_column(
        BIGINT, sa.ForeignKey("journey_snapshots.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[int] = mapped_column()
    stage_name: Mapped[str] = mapped_column(sa.String(200))
    next_stage: Mapped[str] = mapped_column(sa.String(200))
    rate_before: Mapped[float] = mapped_column()
    rate: Mapped[float] = mapped_column()
    entered: Mapped[int] = mapped_column()
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    summary: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(index=True)
    """Set by the result actions once they acted on it."""
