"""Citations: exact spans of stored respondent turns, checked against the transcripts before answering.

Whoever proposes a citation (the offline answer, Claude), it is shown only if the stored
transcript of its result says exactly `quote` at `turn`, `start`..`end` in a respondent turn;
anything else is dropped, and a claim left without a citation with it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import InterviewResult
from recipes.insights.quotes import is_exact

SENTENCES = re.compile(r"[^.!?]+[.!?]*")
STEM = 5
"""Characters of a word that must agree for it to count as the same word (price, prices, pricing)."""


@dataclass(frozen=True)
class Citation:
    result_id: int
    turn: int
    start: int
    end: int
    quote: str

    def out(self) -> dict[str, Any]:
        return asdict(self)


def stems(words: list[str]) -> set[str]:
    return {w[:STEM] for w in words}


def best_sentence(result_id: int, turn: int, text: str, wanted: set[str]) -> Citation:
    """The sentence of the turn that says most of the wanted words (the turn's first when none does)."""
    best: tuple[int, int, int] | None = None
    for match in SENTENCES.finditer(text):
        raw = match.group()
        start = match.start() + len(raw) - len(raw.lstrip())
        end = match.end() - (len(raw) - len(raw.rstrip()))
        if end - start < 2:
            continue
        hits = len({w.lower()[:STEM] for w in re.findall(r"[^\W_]+", raw)} & wanted)
        if best is None or hits > best[0]:
            best = (hits, start, end)
    if best is None:
        return Citation(result_id, turn, 0, len(text), text)
    _, start, end = best
    return Citation(result_id, turn, start, end, text[start:end])


def checked(session: Session, proposed: list[Citation]) -> list[Citation]:
    """The proposed citations that are exact spans of stored respondent turns, in order, once each."""
    ids = sorted({c.result_id for c in proposed})
    if not ids:
        return []
    transcripts: dict[int, Any] = dict(
        session.execute(
            sa.select(InterviewResult.id, InterviewResult.transcript).where(InterviewResult.id.in_(ids))
        ).all()
    )
    kept: list[Citation] = []
    for citation in proposed:
        transcript = transcripts.get(citation.result_id)
        exact = transcript is not None and is_exact(
            {"turn": citation.turn, "start": citation.start, "end": citation.end, "text": citation.quote},
            transcript,
        )
        if exact and citation not in kept:
            kept.append(citation)
    return kept
