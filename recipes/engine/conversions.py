"""Late conversions: Y stored after an absence window was decided, with a timestamp inside it.

The decision stands (it was right with what was known), but an invite not yet sent is
withdrawn: marked `expired`, so delivery never asks someone who did convert why they did
not. The engine runs this for every batch: one statement per absence recipe whose Y is among
the batch's events, and nothing for other events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Event, Invite
from recipes.engine.rows import EventRow, RecipeRow


def withdraw_converted(session: Session, events: Sequence[EventRow], absence: Sequence[RecipeRow]) -> int:
    """Expires unsent invites of absence recipes whose Y has now turned up inside the window."""
    withdrawn = 0
    for recipe in absence:
        trigger = recipe.definition["trigger"]
        converted = [e for e in events if e.name == trigger["missing"]]
        if not converted:
            continue
        window = timedelta(days=trigger["within_days"])
        started = sa.or_(
            *(
                sa.and_(
                    Event.profile_id == e.profile_id,
                    Event.occurred_at <= e.occurred_at,
                    Event.occurred_at >= e.occurred_at - window,
                )
                for e in converted
            )
        )
        result = session.execute(
            sa.update(Invite)
            .where(
                Invite.recipe_id == recipe.id,
                Invite.profile_id.in_(sorted({e.profile_id for e in converted})),
                Invite.status.in_(("scheduled", "pending")),
                Invite.event_id.in_(sa.select(Event.id).where(Event.name == trigger["event"], started)),
            )
            .values(status="expired", updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        withdrawn += cast(sa.CursorResult[Any], result).rowcount
    return withdrawn
