"""Handing due rows to one worker: one conditional UPDATE, safe under concurrency on both databases.

PostgreSQL picks the rows with `FOR UPDATE SKIP LOCKED`, so concurrent claimants take
disjoint rows without waiting on each other; locking re-checks the conditions on each row's
newest version, so a row another claimant took in between (its lease moved `next_attempt_at`
ahead) is not taken twice. SQLite has one writer at a time, so the same UPDATE is already a
single claimant.
A claim counts the attempt and sets the lease before anything is sent: a worker that dies
after sending leaves a row that is taken over once its lease ran out, known as tried before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models.delivery import PENDING, Outbox
from hub.outbox.types import Item


def pick(
    session: Session, ids: sa.Select[Any], column: Any, *due: sa.ColumnElement[bool]
) -> sa.ColumnElement[bool]:
    """`column` is one of the ids `ids` selects (`due` being its conditions), locked ones skipped.

    On PostgreSQL the ids are selected `FOR UPDATE SKIP LOCKED` in a materialized CTE, because
    `IN (SELECT … LIMIT n …)` may be run again for each outer row and take far more than n rows.
    Locking re-checks `due` on each row's newest version, and a locked row stays so until
    commit, so the outer statement needs only the ids, as one array (`= ANY(ARRAY(…))`): it
    reads them by primary key, or at worst scans the table once when its statistics are
    stale. Joined to the CTE with `due` repeated, a table whose statistics predated a burst of
    due rows (10,000 written a moment after autovacuum saw it empty) was scanned once per
    picked id in a nested loop: 92 ms a claim of 100 rows instead of about one. SQLite runs
    the statement under its single writer lock and repeats `due` as it is.
    """
    if session.get_bind().dialect.name == "postgresql":
        locked = ids.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        chosen = sa.func.array(sa.select(locked.c[0]).scalar_subquery())
        return cast(sa.ColumnElement[bool], column == sa.any_(chosen))
    return sa.and_(column.in_(ids.scalar_subquery()), *due)


def serialize_claims(session: Session) -> None:
    """Makes this transaction's claims the only ones until it commits (PostgreSQL; SQLite's
    first claim already holds its single writer lock), so a batch and the rows that fill it
    are taken together and another worker's claim cannot land between them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(CLAIM_LOCK)))


CLAIM_LOCK = 0x6A68_6F62
"""The advisory lock key of the outbox's claims."""


def claim(
    session: Session,
    claimant: str,
    limit: int,
    lease_s: float,
    now: datetime,
    *,
    kind: str | None = None,
    target: str | None = None,
    commit: bool = True,
) -> list[Item]:
    """Claims up to `limit` due rows (of one kind and target when given), oldest due first, and
    commits the claim unless told not to (the caller claims more in the same transaction)."""
    stmt = claim_statement(session, claimant, limit, now + timedelta(seconds=lease_s), now, kind, target)
    rows = session.execute(stmt).all()
    if commit:
        session.commit()
    items = [
        Item(
            id=row.id,
            kind=row.kind,
            target=row.target,
            payload=row.payload,
            idempotency_key=row.idempotency_key,
            attempt=row.attempts,
            tried_before=row.attempts > 1 or row.last_error is not None,
        )
        for row in rows
    ]
    return sorted(items, key=lambda item: item.id)


def claim_statement(
    session: Session,
    claimant: str,
    limit: int,
    until: datetime,
    now: datetime,
    kind: str | None = None,
    target: str | None = None,
) -> sa.Update:
    """The one UPDATE of a claim: due rows (of one kind and target when given), oldest due first."""
    due: tuple[sa.ColumnElement[bool], ...] = (Outbox.status == PENDING, Outbox.next_attempt_at <= now)
    if kind is not None and target is not None:
        due = (*due, Outbox.kind == kind, Outbox.target == target)
    picked = sa.select(Outbox.id).where(*due).order_by(Outbox.next_attempt_at).limit(limit)
    return (
        sa.update(Outbox)
        .where(pick(session, picked, Outbox.id, *due))
        .values(
            attempts=Outbox.attempts + 1,
            claimed_by=claimant,
            claimed_until=until,
            next_attempt_at=until,
            updated_at=now,
        )
        .returning(
            Outbox.id,
            Outbox.kind,
            Outbox.target,
            Outbox.payload,
            Outbox.idempotency_key,
            Outbox.attempts,
            Outbox.last_error,
        )
        .execution_options(synchronize_session=False)
    )
