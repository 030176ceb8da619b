"""Asking: retrieve in the database, answer (Claude with a key, else offline), check every
citation against the stored transcripts, and keep the exchange in its conversation.

A follow-up (`conversation_id`) starts from the conversation's filters, changed only where the
request names one, and carries the previous answer on: its question's words join the search,
and its citations are given to Claude again beside the new passages. Claude that cannot be
used (no key, the spend limit, an error after the SDK's retries, no claim that held) gives way
to the offline answer, with a note that says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.api.common import fits
from hub.config import Settings
from hub.db import utcnow
from hub.errors import ApiError
from hub.models import AskConversation, AskMessage, SynthesisCall
from recipes.insights import claude as synthesis_claude
from recipes.insights import spend
from recipes.insights.ask import claude, offline, search
from recipes.insights.ask.cite import Citation, checked
from recipes.insights.ask.filters import Filters, where

log = logging.getLogger(__name__)
RETRIEVED = 200
"""Turns read back from the search; the offline answer and the theme relevance use them."""
GIVEN_TO_CLAUDE = 30
THEME_ROWS = 50


@dataclass(frozen=True)
class Question:
    text: str
    filters: Filters
    named: frozenset[str]
    """The filters the request set itself (they override a conversation's)."""
    conversation_id: int | None = None


def ask(session: Session, settings: Settings, question: Question) -> dict[str, Any]:
    conversation, previous = _conversation(session, question.conversation_id)
    filters = question.filters
    if conversation is not None:
        kept = Filters.from_stored(conversation.filters)
        filters = replace(kept, **{name: getattr(filters, name) for name in question.named})
    condition = where(session, filters)
    earlier = previous.question if previous is not None else ""
    words = search.terms(question.text, earlier)
    found = search.passages(session, words, condition, RETRIEVED)
    considered = search.considered(session, condition)
    counts = search.theme_counts(session, condition, THEME_ROWS)
    themes_of = search.themes_of(session, {p.result_id for p in found})
    draft = offline.choose(search.terms(question.text) or words, found, themes_of, counts, considered)
    answer = _offline_answer(session, question.text, draft, considered)
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else ""
    if key and found:
        carried = _carried(previous)
        got = _claude_answer(session, settings, key, question.text, found, carried, draft, considered)
        answer = got if "answer" in got else answer | got
    answer["themes"] = [
        {"label": t.label, "share": t.share, "interviews": t.interviews} for t in draft.themes
    ]
    answer["interviews_considered"] = considered
    return _kept(session, conversation, question.text, filters, answer)


def _offline_answer(session: Session, text: str, draft: offline.Draft, considered: int) -> dict[str, Any]:
    proposed = [c for label in draft.quoted for c in draft.quoted[label]] + draft.others
    kept = checked(session, proposed)
    return {
        "answer": offline.write(text, draft, kept, considered),
        "citations": [c.out() for c in kept],
        "engine": "offline",
        "note": None,
    }


def _claude_answer(
    session: Session,
    settings: Settings,
    key: str,
    text: str,
    found: list[search.Passage],
    carried: list[search.Passage],
    draft: offline.Draft,
    considered: int,
) -> dict[str, Any]:
    """Claude's answer, or only a `note` saying why the offline one stands."""
    options = synthesis_claude.Settings(
        api_key=key,
        model=settings.journeyhub_synthesis_model,
        base_url=settings.anthropic_base_url,
        max_retries=settings.journeyhub_synthesis_retries,
    )
    shares = "; ".join(f"{t.label}: {t.share:.0%} ({t.interviews} interviews)" for t in draft.themes)
    context = f"{considered} interviews match the filters. Themes: {shares or 'none'}."
    limit = settings.journeyhub_synthesis_monthly_limit_usd
    given = carried + [
        p for p in found if (p.result_id, p.turn) not in {(c.result_id, c.turn) for c in carried}
    ]
    try:
        claims, call = claude.answer(
            options, text, given[:GIVEN_TO_CLAUDE], context, lambda: spend.refusal(session, limit)
        )
    except synthesis_claude.Failure as failure:
        _record(session, failure.calls)
        log.warning("ask: Claude gave no answer: %s", failure)
        return {"note": f"answered offline: {failure.note}"}
    _record(session, [call])
    numbered: list[Citation] = []
    sentences = []
    for claim in claims:
        held = checked(session, claim.citations)
        if not held:
            continue
        for citation in held:
            if citation not in numbered:
                numbered.append(citation)
        sentences.append(claim.text + "".join(f" [{numbered.index(c) + 1}]" for c in held))
    if not sentences:
        return {"note": "answered offline: none of Claude's claims had a citation that held"}
    return {
        "answer": "\n".join(sentences),
        "citations": [c.out() for c in numbered],
        "engine": "claude",
        "note": None,
    }


def _record(session: Session, calls: list[synthesis_claude.Call]) -> None:
    for call in calls:
        session.add(
            SynthesisCall(
                result_id=None,
                model=call.model,
                outcome=call.outcome,
                note="ask" if call.outcome == "stored" else f"ask: {call.note}"[:500],
                cost_usd=call.cost_usd,
                **call.usage.__dict__,
            )
        )


def _carried(previous: AskMessage | None) -> list[search.Passage]:
    if previous is None:
        return []
    return [
        search.Passage(int(c["result_id"]), int(c["turn"]), str(c["quote"]), 0.0)
        for c in previous.answer.get("citations") or []
    ]


def _conversation(
    session: Session, conversation_id: int | None
) -> tuple[AskConversation | None, AskMessage | None]:
    if conversation_id is None:
        return None, None
    conversation = (
        session.get(AskConversation, conversation_id) if fits(AskConversation.id, conversation_id) else None
    )
    if conversation is None:
        details = [{"field": "conversation_id", "message": "no such conversation"}]
        raise ApiError(400, "unknown_conversation", "conversation_id: no such conversation", details)
    previous = session.scalar(
        sa.select(AskMessage)
        .where(AskMessage.conversation_id == conversation_id)
        .order_by(AskMessage.id.desc())
        .limit(1)
    )
    return conversation, previous


def _kept(
    session: Session,
    conversation: AskConversation | None,
    text: str,
    filters: Filters,
    answer: dict[str, Any],
) -> dict[str, Any]:
    now = utcnow()
    if conversation is None:
        conversation = AskConversation(title=text.strip()[:200] or "Question", created_at=now)
        session.add(conversation)
    conversation.filters = filters.stored()
    conversation.updated_at = now
    session.flush()
    message = AskMessage(
        conversation_id=conversation.id,
        question=text,
        filters=filters.stored(),
        answer=answer,
        engine=str(answer.get("engine")),
        created_at=now,
    )
    session.add(message)
    session.flush()
    session.commit()
    return answer | {
        "conversation_id": conversation.id,
        "message_id": message.id,
        "filters": filters.stored(),
    }
