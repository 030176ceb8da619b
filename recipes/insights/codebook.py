"""Each campaign's codebook: the theme labels its interviews have used, growing as new ones appear.

A label a synthesiser proposes lands on an existing theme when they mean the same: both name
the same topic ("pricing too high" and "too expensive" are both about pricing), or, outside
the known topics, they share most of their words. Otherwise it becomes a new theme. The
codebook is also what Claude is shown, so it reuses labels instead of coining synonyms.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import insert_ignore, utcnow
from hub.models import CodebookTheme
from recipes.insights.concepts import tag
from recipes.insights.synthesis import MAX_THEMES, Theme
from recipes.insights.text import content_words, stem

MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class Entry:
    label: str
    signature: frozenset[str]


def signature(label: str) -> frozenset[str]:
    """Topic keys (`t:pricing`) when the label names known topics, else its words' stems (`w:dark`)."""
    topics = tag(label)
    if topics:
        return frozenset(f"t:{key}" for key in topics)
    return frozenset(f"w:{stem(w)}" for w in content_words(label))


def same_theme(a: frozenset[str], b: frozenset[str]) -> float:
    """How well two signatures agree, 0 when they are different themes."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    if any(k.startswith("t:") for k in a) and any(k.startswith("t:") for k in b):
        return shared / min(len(a), len(b))
    score = shared / len(a | b)
    return score if score >= MIN_OVERLAP else 0.0


def entries(session: Session, campaign_id: int | None) -> list[Entry]:
    rows = session.execute(
        sa.select(CodebookTheme.label, CodebookTheme.signature)
        .where(_scope(campaign_id))
        .order_by(CodebookTheme.id)
    )
    return [Entry(label, frozenset(sig)) for label, sig in rows]


def match(label: str, known: list[Entry]) -> Entry | None:
    mine = signature(label)
    best = max(known, key=lambda e: same_theme(mine, e.signature), default=None)
    return best if best is not None and same_theme(mine, best.signature) > 0 else None


def apply(session: Session, campaign_id: int | None, themes: list[Theme]) -> list[Theme]:
    """The themes under their codebook labels, synonyms merged (highest confidence kept), new ones added."""
    known = entries(session, campaign_id)
    merged: dict[str, Theme] = {}
    for theme in themes:
        entry = match(theme.label, known)
        if entry is None:
            entry = Entry(theme.label.strip(), signature(theme.label))
            _add(session, campaign_id, entry)
            known.append(entry)
        elif entry.label.lower() != theme.label.strip().lower():
            _note_synonym(session, campaign_id, entry.label, theme.label.strip())
        current = merged.get(entry.label)
        if current is None or current.confidence < theme.confidence:
            merged[entry.label] = Theme(label=entry.label, confidence=theme.confidence)
    chosen = sorted(merged.values(), key=lambda t: -t.confidence)[:MAX_THEMES]
    _count(session, campaign_id, [t.label for t in chosen])
    return chosen


def _scope(campaign_id: int | None) -> sa.ColumnElement[bool]:
    if campaign_id is None:
        return CodebookTheme.campaign_id.is_(None)
    return CodebookTheme.campaign_id == campaign_id


def _add(session: Session, campaign_id: int | None, entry: Entry) -> None:
    """Two syntheses may add one label at once; the unique (campaign, label) keeps one row."""
    session.execute(
        insert_ignore(session, CodebookTheme).values(
            campaign_id=campaign_id,
            label=entry.label,
            signature=sorted(entry.signature),
            synonyms=[],
            mentions=0,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )


def _note_synonym(session: Session, campaign_id: int | None, label: str, synonym: str) -> None:
    row = session.scalar(
        sa.select(CodebookTheme).where(_scope(campaign_id), CodebookTheme.label == label).limit(1)
    )
    if row is not None and synonym not in row.synonyms and len(row.synonyms) < 50:
        row.synonyms = [*row.synonyms, synonym]


def _count(session: Session, campaign_id: int | None, labels: list[str]) -> None:
    if labels:
        session.execute(
            sa.update(CodebookTheme)
            .where(_scope(campaign_id), CodebookTheme.label.in_(labels))
            .values(mentions=CodebookTheme.mentions + 1, updated_at=utcnow())
        )
