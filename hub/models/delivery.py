"""The outbox: every side effect decided in a transaction, sent later by a worker, marked once.

A row is written in the same transaction as the decision that wants it (an invite due now,
later a result action), so a crash can lose neither. `idempotency_key` is unique: the same
side effect asked for twice is one row, and the key travels with every attempt so receivers
and lookups can tell a retry from a new message.

While a worker holds a row, `claimed_by` names it and `claimed_until` ends its lease;
`next_attempt_at` is moved to the lease's end too, so one condition (`status = 'pending'
AND next_attempt_at <= now`) finds both the rows that are due and the rows whose worker died.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow

PENDING, SENT, FAILED, DEAD = "pending", "sent", "failed", "dead"
STATUSES = (PENDING, SENT, FAILED, DEAD)
"""`failed`: refused for good at once (a person must fix something); `dead`: retries ran out."""


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    target: Mapped[str] = mapped_column(sa.String(500))
    """Where it goes, in words: `webhook:3` is the generic connection 3."""
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict[str, Any] | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_until: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
