"""Late conversions: Y stored after an absence window was decided, with a timestamp inside it.

The decision stands (it was right with what was known), but an invite not yet sent is
withdrawn: marked `expired`, so delivery never asks someone who did convert why they did
not. The engine runs this for every batch; it costs one statement per stored Y event that an
absence recipe waits for, and nothing for other events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Event, Invite, Recipe
from recipes.engine import rows
from recipes.engine.rows import EventRow


def withdraw_converted(session: Session, events: Sequence[EventRow]) -> int:
    """Expires unsent invites of absence recipes whose Y has now turned up inside the window."""
    names = {e.name for e in events}
    waiting = [
        r
        for r in rows.recipes(session, Recipe.trigger_key.startswith("absence:"))
        if r.definition["trigger"]["missing"] in names
    ]
    withdrawn = 0
    for recipe in waiting:
        trigger = recipe.definition["trigger"]
        window = timedelta(days=trigger["within_days"])
        for converted in (e for e in events if e.name == trigger["missing"]):
            result = session.execute(
                sa.update(Invite)
                .where(
                    Invite.recipe_id == recipe.id,
                    Invite.profile_id == converted.profile_id,
                    Invite.status.in_(("scheduled", "pending")),
                    Invite.event_id.in_(
                        sa.select(Event.id).where(
                            Event.name == trigger["event"],
                            Event.profile_id == converted.profile_id,
                            Event.occurred_at <= converted.occurred_at,
                            Event.occurred_at >= converted.occurred_at - window,
                        )
                    ),
                )
                .values(status="expired", updated_at=utcnow())
            )
            withdrawn += cast(sa.CursorResult[Any], result).rowcount
    return withdrawn
