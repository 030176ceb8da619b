"""Turning a verdict into what is stored: a decision row, and for a winner an invite, atomically.

An invite, the caps it claims and its decision are one transaction of their own, so a
capped person rolls back nothing but their own claims; the unique (person, campaign, event)
of invites makes a second evaluation of the same event a no-op whatever else happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hub.db import insert_ignore, utcnow
from hub.models import Decision, Invite
from recipes.engine.caps import caps_for, first_refused
from recipes.engine.steps import Verdict

DEFER_DAYS = 1
ATTEMPTS = 4


@dataclass(frozen=True)
class Pair:
    """One event x one recipe whose trigger matched it."""

    event_id: int
    profile_id: int
    recipe_id: int
    recipe_version: int
    campaign_id: int
    recipe: Mapping[str, Any]


def skipped_row(pair: Pair, verdict: Verdict, now: datetime) -> dict[str, Any]:
    failed = verdict.failed
    assert failed is not None  # noqa: S101 - only failed verdicts are skipped
    return _row(pair, "skipped", failed.step, failed.detail, now)


def _row(
    pair: Pair, outcome: str, step: str, reason: str, now: datetime, retry_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "event_id": pair.event_id,
        "recipe_id": pair.recipe_id,
        "recipe_version": pair.recipe_version,
        "profile_id": pair.profile_id,
        "outcome": outcome,
        "step": step,
        "reason": reason,
        "at": now,
        "retry_at": retry_at,
        "attempts": 1,
    }


def invite_or_cap(
    session: Session, pair: Pair, verdict: Verdict, default_days: int, now: datetime
) -> dict[str, Any] | None:
    """Commits an invite and its decision, or answers the capped decision for the caller to store.

    None when the invite already existed (this event was evaluated before). Deadlocks and
    SQLite's busy writer are retried; the statements are safe to repeat.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _claim_and_invite(session, pair, verdict, default_days, now)
        except OperationalError:
            session.rollback()
            if attempt == ATTEMPTS:
                raise
    return None


def _claim_and_invite(
    session: Session, pair: Pair, verdict: Verdict, default_days: int, now: datetime
) -> dict[str, Any] | None:
    due = verdict.due_at or now
    scheduled = due > now
    invite = insert_ignore(session, Invite).values(
        profile_id=pair.profile_id,
        campaign_id=pair.campaign_id,
        recipe_id=pair.recipe_id,
        event_id=pair.event_id,
        status="scheduled" if scheduled else "pending",
        due_at=due,
        created_at=utcnow(),  # the moment the row is written: what stored-to-invite latency measures
        updated_at=utcnow(),
    )
    if session.execute(invite.returning(Invite.id)).first() is None:
        session.rollback()
        return None
    refused = first_refused(
        session, caps_for(pair.recipe, pair.campaign_id, pair.profile_id, default_days, now), now
    )
    if refused is not None:
        session.rollback()
        if pair.recipe["caps"].get("when_capped") == "defer":
            retry = now + timedelta(days=DEFER_DAYS)
            return _row(
                pair,
                "deferred",
                "caps",
                f"{refused.reason}; trying again {retry:%Y-%m-%d %H:%M} UTC",
                now,
                retry,
            )
        return _row(pair, "skipped", "caps", refused.reason, now)
    detail = verdict.steps[-1].detail
    row = _row(pair, "scheduled" if scheduled else "invited", "caps", f"every step passed; {detail}", now)
    deferred = sa.delete(Decision).where(
        Decision.event_id == pair.event_id,
        Decision.recipe_id == pair.recipe_id,
        Decision.outcome == "deferred",
    )
    session.execute(deferred)  # a deferral that now succeeds becomes this decision
    session.execute(insert_ignore(session, Decision).values(**row))
    session.commit()
    return None
