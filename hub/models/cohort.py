"""Cohorts pulled from a source system, their stored membership, and the staging of a sync.

The stored membership (`cohort_members`) is the truth that the next sync diffs against; a
sync first fills `cohort_staging` page by page, so a provider failing half-way leaves the
truth untouched and the cohort never has to fit in a worker's memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, utcnow
from hub.models.core import Connection


class Cohort(Base):
    """A list / campaign / segment / query of one connection, synced every `interval_minutes`.

    `lease_token` and `lease_until` are the lock that keeps two syncs of one cohort apart: a
    sync owns the cohort only after one conditional UPDATE found the lease free or expired.
    """

    __tablename__ = "cohorts"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "source_ref"),
        sa.Index("ix_cohorts_next_sync_at", "next_sync_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    source_ref: Mapped[str] = mapped_column(sa.String(2000))
    name: Mapped[str] = mapped_column(sa.String(200))
    interval_minutes: Mapped[int] = mapped_column(default=15)
    status: Mapped[str] = mapped_column(sa.String(20), default="ok")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    member_count: Mapped[int] = mapped_column(default=0)
    next_sync_at: Mapped[datetime | None] = mapped_column()
    last_synced_at: Mapped[datetime | None] = mapped_column()
    lease_token: Mapped[str | None] = mapped_column(sa.String(32))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    connection: Mapped[Connection] = relationship()

    @property
    def run_subject(self) -> str:
        return f"cohort:{self.id}"

    def __repr__(self) -> str:
        return f"<Cohort {self.id} {self.name!r} {self.status}>"


class CohortMember(Base):
    """One member as of the last completed sync; `identities` are the keys it was seen under."""

    __tablename__ = "cohort_members"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "member_ref"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    member_ref: Mapped[str] = mapped_column(sa.String(255))
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    identities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class StagedMember(Base):
    """A member fetched by a running sync; not the truth until that sync's diff commits.

    A scratch table (migration 0011): no foreign keys, each of which would cost a lookup per
    staged row, and unlogged on PostgreSQL. The sync clears its own rows and those of cohorts
    that are gone (`hub.cohorts.staging.clear`).
    """

    __tablename__ = "cohort_staging"
    __table_args__ = (sa.Index("ix_cohort_staging_cohort_id", "cohort_id"),)

    run_id: Mapped[int] = mapped_column(primary_key=True)
    member_ref: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    cohort_id: Mapped[int] = mapped_column()
    identities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
