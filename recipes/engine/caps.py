"""Frequency caps, each claimed by ONE atomic statement: INSERT … ON CONFLICT DO UPDATE … WHERE.

A claim either inserts the cap's row or updates it only while the cap allows, and RETURNING
says which: there is no read followed by a write, so two workers claiming for one person at
the same instant cannot both win. On PostgreSQL the second waits on the row the first
locked and then re-checks the WHERE against what the first committed; SQLite lets one writer
in at a time. Claims run in one fixed order (person, person x campaign, campaign budget) so
concurrent transactions cannot wait on each other in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.models import CapClaim

EVER = timedelta(days=365 * 1000)


@dataclass(frozen=True)
class Cap:
    """One claim to make: `window` for "once per window" caps, `budget` for counted ones."""

    key: str
    reason: str
    window: timedelta | None = None
    budget: int | None = None


def caps_for(
    recipe: Mapping[str, Any], campaign_id: int, profile_id: int, default_days: int, now: datetime
) -> list[Cap]:
    """The caps one invite must claim, in the order every claimer takes them."""
    caps = recipe["caps"]
    found: list[Cap] = []
    days = default_days if caps.get("per_person_days") is None else caps["per_person_days"]
    if days:
        found.append(
            Cap(f"person:{profile_id}", f"invited to a study in the last {days} days", timedelta(days=days))
        )
    per_campaign = caps.get("per_campaign_person", "once")
    window = EVER if per_campaign == "once" else timedelta(days=per_campaign["days"])
    said = (
        "already invited to this campaign"
        if per_campaign == "once"
        else f"invited to this campaign in the last {per_campaign['days']} days"
    )
    found.append(Cap(f"person:{profile_id}:campaign:{campaign_id}", said, window))
    if caps.get("daily_budget"):
        budget = caps["daily_budget"]
        found.append(
            Cap(
                f"budget:{campaign_id}:{now:%Y-%m-%d}",
                f"the campaign's daily budget of {budget} is spent",
                budget=budget,
            )
        )
    return found


def claim(session: Session, cap: Cap, now: datetime) -> bool:
    """True when this one statement claimed the cap; the caller's transaction keeps or drops it."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    fresh = insert(CapClaim).values(key=cap.key, claimed_at=now, used=1)
    if cap.budget is not None:
        allowed = CapClaim.used < cap.budget
    else:
        allowed = CapClaim.claimed_at <= now - (cap.window or EVER)
    stmt = fresh.on_conflict_do_update(
        index_elements=[CapClaim.key],
        set_={"claimed_at": now if cap.budget is None else CapClaim.claimed_at, "used": CapClaim.used + 1},
        where=allowed,
    ).returning(CapClaim.key)
    return session.execute(stmt).first() is not None


def first_refused(session: Session, caps: list[Cap], now: datetime) -> Cap | None:
    """Claims every cap in order; the first one refused, or None when all were claimed."""
    for cap in caps:
        if not claim(session, cap, now):
            return cap
    return None


def would_refuse(session: Session, caps: list[Cap], now: datetime) -> Cap | None:
    """The first cap a claim now would refuse, read without claiming (eligibility, dry runs)."""
    rows = {
        r.key: r for r in session.scalars(sa.select(CapClaim).where(CapClaim.key.in_([c.key for c in caps])))
    }
    for cap in caps:
        row = rows.get(cap.key)
        if row is None:
            continue
        if cap.budget is not None and row.used >= cap.budget:
            return cap
        if cap.budget is None and row.claimed_at > now - (cap.window or EVER):
            return cap
    return None
