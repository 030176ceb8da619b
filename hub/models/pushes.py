"""Cohort pushes as they arrived: each delivery kept until it is applied to the membership.

A delivery is answered once this row is committed and applied later by a job, so the answer
is quick whatever the page holds, and the unique (connection, delivery key) makes a
redelivery of the same batch a no-op however often the provider sends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, utcnow

PENDING, APPLIED, SUPERSEDED = "pending", "applied", "superseded"


class PushDelivery(Base):
    """One delivery: a snapshot page (`session`, `page` of `pages`) or one batch of increments.

    `members` holds the page as `[{"ref", "identities", "traits"}]`; a snapshot is applied
    only once all its pages are here, and a newer complete snapshot supersedes an older one
    that never completed.
    """

    __tablename__ = "push_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "delivery_key"),
        sa.Index("ix_push_deliveries_cohort_id_status", "cohort_id", "status"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    delivery_key: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(20))
    session: Mapped[str | None] = mapped_column(sa.String(255))
    page: Mapped[int] = mapped_column(default=1)
    pages: Mapped[int] = mapped_column(default=1)
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    occurred_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("runs.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column()
