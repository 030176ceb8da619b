"""The insights jobs: synthesis of one result (enqueued after the result commits, by dotted
path) and the periodic pass that picks up results a lost job or a paused month left behind."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from hub.config import current_settings
from hub.db import db, utcnow
from hub.models import InterviewResult, Run
from hub.runtime.jobs import enqueue, job
from recipes.insights import spend
from recipes.insights.run import synthesise_result

log = logging.getLogger(__name__)
STALE = timedelta(minutes=5)
"""A pending result this old has lost its job (or waits for a retry that will not come)."""
BATCH = 100


@job
def synthesise(result_id: int) -> str:
    started = utcnow()
    outcome = synthesise_result(db.session, result_id, current_settings())
    if outcome.status != "skipped":
        db.session.add(
            Run(
                kind="synthesis",
                subject=f"result:{result_id}",
                status="succeeded" if outcome.status == "done" else outcome.status,
                started_at=started,
                finished_at=utcnow(),
                duration_ms=round((utcnow() - started).total_seconds() * 1000),
                stats={
                    "calls": len(outcome.calls),
                    "cost_usd": round(sum(c.cost_usd for c in outcome.calls), 6),
                    "finding_changes": outcome.events,
                },
                error=outcome.note if outcome.status != "done" else None,
            )
        )
        db.session.commit()
    return outcome.status


@job
def synthesise_pending() -> int:
    """Enqueues stale pending results, and paused ones once the month's spend allows; answers how many."""
    settings = current_settings()
    states = ["pending"]
    if (
        not settings.anthropic_api_key
        or spend.refusal(db.session, settings.journeyhub_synthesis_monthly_limit_usd) is None
    ):
        states.append("paused")
    ids = list(
        db.session.scalars(
            sa.select(InterviewResult.id)
            .where(
                InterviewResult.synthesis_status.in_(states),
                sa.or_(
                    InterviewResult.synthesis_status == "paused",
                    InterviewResult.updated_at < utcnow() - STALE,
                ),
            )
            .order_by(InterviewResult.id)
            .limit(BATCH)
        )
    )
    db.session.rollback()
    for result_id in ids:
        enqueue("recipes.insights.jobs.synthesise", result_id, job_id=f"synthesise-{result_id}")
    if ids:
        log.info("synthesis: %d waiting results enqueued", len(ids))
    return len(ids)
