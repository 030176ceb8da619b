"""Opting out of research, and the check every send makes just before it goes.

Opting out sets the profile trait `research_opt_out` and makes sure the workspace's
suppression has the rule "opted out of research" on it, so the engine invites them no more
(the rule shows, and can be read, at /api/v1/suppression). Invites already scheduled for
them expire at once. A send re-checks the person as they are at that moment: the trait
itself, whatever the rules say, and every suppression rule, so someone who opted out or
became suppressed between the decision and the send is not written to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.db import db
from hub.inbound.identity import current_profile_id
from hub.models import Invite, Profile
from recipes.engine.conditions import Facts, failure
from recipes.engine.saving import workspace

TRAIT = "research_opt_out"
RULE_NAME = "opted out of research"
RULE: dict[str, Any] = {
    "name": RULE_NAME,
    "conditions": {"all": [{"field": f"traits.{TRAIT}", "op": "eq", "value": True}]},
}


def opt_out(profile_id: int, now: datetime) -> int | None:
    """Opts the person out (the survivor, if they were merged); answers their id, None if unknown. Commits."""
    session = db.session
    found = current_profile_id(session, profile_id)
    if found is None:
        return None
    profile = session.scalars(sa.select(Profile).where(Profile.id == found).with_for_update()).one()
    if profile.traits.get(TRAIT) is not True:
        profile.traits = {**profile.traits, TRAIT: True, f"{TRAIT}_at": now.isoformat()}
    session.execute(
        sa.update(Invite)
        .where(Invite.profile_id == found, Invite.status == "scheduled")
        .values(status="expired", updated_at=now)
    )
    session.commit()
    _ensure_rule()
    return found


def _ensure_rule() -> None:
    settings = workspace()
    rules = list(settings.suppression.get("rules", []))
    if any(rule.get("conditions") == RULE["conditions"] for rule in rules):
        return
    settings.suppression = {**settings.suppression, "rules": [*rules, RULE]}
    db.session.commit()


def suppression_rules() -> list[dict[str, Any]]:
    return list(workspace().suppression.get("rules", []))


def held_back(
    traits: Mapping[str, Any],
    properties: Mapping[str, Any],
    rules: Sequence[Mapping[str, Any]],
    now: datetime,
) -> str | None:
    """Why this person must not be written to now, or None."""
    if traits.get(TRAIT) is True:
        return "the person opted out of research"
    facts = Facts(properties, traits, now)
    for rule in rules:
        if failure(rule["conditions"], facts) is None:
            return f"suppressed by the workspace rule {rule['name']!r}"
    return None
