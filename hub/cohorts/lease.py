"""The lock that keeps two syncs of one cohort apart, taken by one conditional UPDATE.

A row lock or an advisory lock would die with the connection, but a sync spans many
transactions (one per page); a lease with an expiry survives them and frees itself when a
worker is killed mid-sync.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Cohort
from hub.runtime.jobs import JOB_TIMEOUT_S

LEASE = timedelta(seconds=JOB_TIMEOUT_S)


class LeaseLost(RuntimeError):
    """Another sync took the cohort after this one's lease expired; this one must not diff."""


def claim(session: Session, cohort_id: int, now: datetime) -> str | None:
    """A token when the cohort was free (or its holder's lease ran out), else None."""
    token = secrets.token_hex(16)
    free = sa.or_(Cohort.lease_until.is_(None), Cohort.lease_until < now)
    result = session.execute(
        sa.update(Cohort)
        .where(Cohort.id == cohort_id, free)
        .values(lease_token=token, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def renew(session: Session, cohort_id: int, token: str, now: datetime) -> None:
    """Extends the lease; on PostgreSQL it also row-locks the cohort until the transaction ends."""
    result = session.execute(
        sa.update(Cohort)
        .where(Cohort.id == cohort_id, Cohort.lease_token == token)
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"cohort {cohort_id}: another sync took over after this one's lease expired")


def release(session: Session, cohort_id: int, token: str) -> None:
    session.execute(
        sa.update(Cohort)
        .where(Cohort.id == cohort_id, Cohort.lease_token == token)
        .values(lease_token=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
