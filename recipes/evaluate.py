"""Evaluation of new events against recipes.

The recipe engine arrives in its own issue; until then each evaluation leaves a Run so a
person can see that every stored event was handed on.
"""

from __future__ import annotations

from hub.db import db, utcnow
from hub.models import Run
from hub.runtime.jobs import job


@job
def evaluate_events(event_ids: list[int]) -> None:
    now = utcnow()
    db.session.add(
        Run(
            kind="evaluate",
            subject=f"events:{event_ids[0]}-{event_ids[-1]}" if event_ids else "events:none",
            status="succeeded",
            started_at=now,
            finished_at=now,
            duration_ms=0,
            stats={"events": len(event_ids), "event_ids": event_ids[:1000], "recipes_matched": 0},
        )
    )
    db.session.commit()
