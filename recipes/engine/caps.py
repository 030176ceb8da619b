"""Which frequency caps an invite must claim, and what a claim made now would find.

Three kinds, claimed in this order by every claimer (recipes.engine.claims): the person across
all campaigns, the person in this campaign, the campaign's budget for the day. The day is the
workspace's calendar day in its time zone, so a budget of 50 a day means 50 between the
workspace's midnights, not between UTC's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import CapClaim
from recipes.engine.settings import Rules

EVER = timedelta(days=365 * 1000)
PERSON, CAMPAIGN, BUDGET = 0, 1, 2
"""The order claims are taken in."""


@dataclass(frozen=True)
class Cap:
    """One claim to make: `window` for "once per window" caps, `budget` for counted ones."""

    key: str
    reason: str
    order: int
    window: timedelta | None = None
    budget: int | None = None


def caps_for(
    recipe: Mapping[str, Any], campaign_id: int, profile_id: int, rules: Rules, now: datetime
) -> list[Cap]:
    """The caps one invite must claim, in the order every claimer takes them."""
    caps = recipe["caps"]
    found: list[Cap] = []
    days = rules.per_person_days if caps.get("per_person_days") is None else caps["per_person_days"]
    if days:
        reason = f"invited to a study in the last {days} days"
        found.append(Cap(f"person:{profile_id}", reason, PERSON, window=timedelta(days=days)))
    per_campaign = caps.get("per_campaign_person", "once")
    if per_campaign == "once":
        window, said = EVER, "already invited to this campaign"
    else:
        window, said = (
            timedelta(days=per_campaign["days"]),
            f"invited to this campaign in the last {per_campaign['days']} days",
        )
    found.append(Cap(f"person:{profile_id}:campaign:{campaign_id}", said, CAMPAIGN, window=window))
    if caps.get("daily_budget"):
        budget = caps["daily_budget"]
        day = now.astimezone(rules.zone).date()
        reason = f"the campaign's daily budget of {budget} is spent"
        found.append(Cap(f"budget:{campaign_id}:{day:%Y-%m-%d}", reason, BUDGET, budget=budget))
    return found


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
