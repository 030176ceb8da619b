"""Synthesising one stored result: Claude when ANTHROPIC_API_KEY is set, else offline; then the
codebook, the result's columns and its recipe's findings, in one transaction.

No transaction is held open while Claude thinks. Every call made is recorded with its cost,
whatever came of it. A result is synthesised once: storing is a conditional update, so a
second job for the same result changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.config import Settings
from hub.db import utcnow
from hub.models import Campaign, InterviewResult, SynthesisCall
from recipes.actions import enqueue as actions
from recipes.insights import claude, codebook, findings, spend
from recipes.insights.offline.synthesiser import synthesise as offline
from recipes.insights.pricing import Usage
from recipes.insights.synthesis import Synthesis

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
"""Synthesis tries per result (jobs and the periodic sweep) before it is marked failed."""


@dataclass
class Outcome:
    status: str
    note: str | None = None
    events: int = 0
    calls: list[claude.Call] = field(default_factory=list)


class Retry(Exception):
    """Synthesis failed for now (Claude overloaded, unusable answers); the job is retried."""


def synthesise_result(session: Session, result_id: int, settings: Settings) -> Outcome:
    result = session.get(InterviewResult, result_id)
    if result is None or result.synthesis_status == "done":
        return Outcome("skipped")
    result.synthesis_attempts += 1
    campaign = session.get(Campaign, result.campaign_id) if result.campaign_id else None
    questions = list((campaign.definition.get("questions") or []) if campaign else [])
    known = [entry.label for entry in codebook.entries(session, result.campaign_id)]
    session.commit()  # the attempt counts even if this process dies during the call
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else ""
    if not key:
        return _store(
            session, result, offline(result.transcript, result.answers, questions), settings, [], []
        )
    options = claude.Settings(
        api_key=key,
        model=settings.journeyhub_synthesis_model,
        base_url=settings.anthropic_base_url,
        max_retries=settings.journeyhub_synthesis_retries,
    )
    limit = settings.journeyhub_synthesis_monthly_limit_usd

    def may_spend() -> str | None:
        refused = spend.refusal(session, limit)
        session.rollback()  # read only: no transaction stays open during the call
        return refused

    try:
        synthesis, calls, notes = claude.synthesise(
            options,
            result.transcript,
            result.answers,
            questions,
            known,
            may_spend,
        )
    except claude.Failure as failure:
        return _failed(session, result, failure)
    return _store(session, result, synthesis, settings, calls, notes)


def _store(
    session: Session,
    result: InterviewResult,
    synthesis: Synthesis,
    settings: Settings,
    calls: list[claude.Call],
    notes: list[str],
) -> Outcome:
    now = utcnow()
    claimed = session.execute(
        sa.update(InterviewResult)
        .where(InterviewResult.id == result.id, InterviewResult.synthesis_status != "done")
        .values(synthesis_status="done", updated_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        _record(session, result, calls, now)  # another job stored it first; these calls still cost
        session.commit()
        return Outcome("skipped")
    _record(session, result, calls, now)
    themes = codebook.apply(session, result.campaign_id, synthesis.themes)
    result.synthesis_status = "done"
    result.synthesis_note = "; ".join(notes) or None
    result.engine = "claude" if calls else "offline"
    result.model = calls[-1].model if calls else None
    result.themes = [t.model_dump() for t in themes]
    result.sentiment_label, result.sentiment_score = synthesis.sentiment.label, synthesis.sentiment.score
    result.quotes = [q.model_dump() for q in synthesis.quotes]
    result.quality, result.quality_reason = synthesis.quality, synthesis.quality_reason
    result.qualifying = synthesis.quality >= settings.journeyhub_quality_threshold
    result.synthesised_at = now
    session.flush()
    events = findings.count(session, result, findings.Thresholds.of(settings), now)
    actions.after_synthesis(session, result, now)  # the outbox rows commit with the findings, or neither does
    session.commit()
    return Outcome("done", result.synthesis_note, events, calls)


def _failed(session: Session, result: InterviewResult, failure: claude.Failure) -> Outcome:
    """Records what the calls cost; pauses, gives up, or raises Retry for the job to try later."""
    now = utcnow()
    _record(session, result, failure.calls, now)
    if failure.kind == "spend_limit":
        status = "paused"
    elif failure.kind == "permanent" or result.synthesis_attempts >= MAX_ATTEMPTS:
        status = "failed"
    else:
        status = "pending"
    result.synthesis_status, result.synthesis_note = status, failure.note
    session.commit()
    log.warning("synthesis of result %d: %s (%s)", result.id, failure.note, status)
    if status == "pending":
        raise Retry(failure.note)
    return Outcome(status, failure.note, calls=failure.calls)


def _record(session: Session, result: InterviewResult, calls: list[claude.Call], now: datetime) -> None:
    total = Usage()
    for call in calls:
        session.add(
            SynthesisCall(
                result_id=result.id,
                model=call.model,
                at=now,
                outcome=call.outcome,
                note=call.note,
                input_tokens=call.usage.input_tokens,
                output_tokens=call.usage.output_tokens,
                cache_creation_input_tokens=call.usage.cache_creation_input_tokens,
                cache_read_input_tokens=call.usage.cache_read_input_tokens,
                cost_usd=call.cost_usd,
            )
        )
        total += call.usage
        result.cost_usd = round(result.cost_usd + call.cost_usd, 6)
    result.input_tokens += total.input_tokens
    result.output_tokens += total.output_tokens
    result.cache_creation_input_tokens += total.cache_creation_input_tokens
    result.cache_read_input_tokens += total.cache_read_input_tokens
