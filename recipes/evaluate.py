"""The job the hub enqueues after it commits events (by dotted path, so it never imports us).

Each run leaves a Run with its figures, written in the evaluation's own transaction (one
commit, not two), so a person can see that every stored event was handed on and what came
of it, and a run that rolled back leaves no record of work that did not happen.
"""

from __future__ import annotations

import time

from hub.db import db, utcnow
from hub.models import Run
from hub.runtime.jobs import job
from recipes.engine.engine import Tally, evaluate


@job
def evaluate_events(event_ids: list[int]) -> None:
    started, clock = utcnow(), time.perf_counter()

    def record(tally: Tally) -> None:
        db.session.add(
            Run(
                kind="evaluate",
                subject=f"events:{event_ids[0]}-{event_ids[-1]}" if event_ids else "events:none",
                status="succeeded",
                started_at=started,
                finished_at=utcnow(),
                duration_ms=round((time.perf_counter() - clock) * 1000),
                stats={
                    "events": tally.events,
                    "event_ids": event_ids[:1000],
                    "decisions": tally.decisions,
                    "invites": tally.invites,
                    "outcomes": tally.outcomes,
                },
            )
        )

    evaluate(db.session, event_ids, record=record)
