"""Storing interview results as they arrive: linked, checked, stored once, synthesised after commit.

The hub hands results here (recipes.registry.RESULTS) inside the request's transaction and
commits once this returns, so the sender hears 200 only for what is stored. A result whose
invite is unknown or expired is kept, unattributed, rather than refused: the interview
happened, and a person can still read it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.sdk.results import InterviewResult
from hub.db import insert_ignore, utcnow
from hub.models import Campaign, Invite
from hub.models import InterviewResult as ResultRow
from hub.runtime.jobs import enqueue_after_commit
from recipes.insights.answers import check_answers
from recipes.insights.invites import Link, link

SYNTHESISE_JOB = "recipes.insights.jobs.synthesise"


def store_results(session: Session, connection_id: int, results: list[InterviewResult]) -> dict[str, Any]:
    """Raises connectors.sdk.PayloadError when an answer does not fit its question."""
    stored: list[dict[str, Any]] = []
    for result in results:
        linked = link(session, result)
        campaign = session.get(Campaign, linked.invite.campaign_id) if linked.invite else None
        check_answers(result.answers, (campaign.definition.get("questions") or []) if campaign else [])
        row_id = _insert(session, connection_id, result, linked)
        duplicate = row_id is None
        if row_id is None:
            row_id = session.scalar(
                sa.select(ResultRow.id).where(
                    ResultRow.connection_id == connection_id, ResultRow.external_id == result.result_id
                )
            )
        elif linked.invite is not None:
            _complete(session, linked.invite.id)
        if not duplicate:
            enqueue_after_commit(session, SYNTHESISE_JOB, row_id, job_id=f"synthesise-{row_id}")
        stored.append(
            {
                "id": row_id,
                "result_id": result.result_id,
                "duplicate": duplicate,
                "invite_id": linked.invite.id if linked.invite else None,
                "attributed": linked.invite is not None,
                "reason": linked.reason,
            }
        )
    duplicates = sum(item["duplicate"] for item in stored)
    return {"accepted": len(stored) - duplicates, "duplicates": duplicates, "results": stored}


def _insert(session: Session, connection_id: int, result: InterviewResult, linked: Link) -> int | None:
    """The new row's id, or None when this result id was stored before (a redelivery)."""
    invite = linked.invite
    now = utcnow()
    values = {
        "connection_id": connection_id,
        "external_id": result.result_id,
        "invite_id": invite.id if invite else None,
        "profile_id": linked.profile_id,
        "recipe_id": invite.recipe_id if invite else None,
        "campaign_id": invite.campaign_id if invite else None,
        "event_id": invite.event_id if invite else None,
        "unattributed_reason": linked.reason,
        "respondent": dict(result.respondent),
        "started_at": result.started_at,
        "completed_at": result.completed_at,
        "transcript": [asdict(turn) for turn in result.transcript],
        "answers": [asdict(answer) for answer in result.answers],
        "synthesis_status": "pending",
        "synthesis_attempts": 0,
        "themes": [],
        "quotes": [],
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cost_usd": 0.0,
        "created_at": now,
        "updated_at": now,
    }
    inserted = session.execute(insert_ignore(session, ResultRow).values(values).returning(ResultRow.id))
    return inserted.scalar()


def _complete(session: Session, invite_id: int) -> None:
    session.execute(
        sa.update(Invite)
        .where(Invite.id == invite_id, Invite.status != "completed")
        .values(status="completed", updated_at=utcnow())
    )
