"""Retrieval in the database: the respondent turns that best match a question, and theme counts.

Turns are matched by full-text search (PostgreSQL's GIN-indexed `to_tsvector`, SQLite's FTS5
with BM25) as an OR of the question's words, so a turn that says some of them is found and one
that says more ranks higher; the filters join the same statement, and only the best `limit`
turns reach Python. Theme counts are one GROUP BY over the filtered results' themes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import AskPassage, InterviewResult
from hub.models.ask import SEARCH_CONFIG

WORDS = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERMS = 24
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "people",
        "customers",
        "users",
        "user",
        "customer",
        "interviews",
        "interview",
        "say",
        "said",
        "tell",
        "think",
        "thought",
        "feel",
        "felt",
    ]
)


@dataclass(frozen=True)
class Passage:
    result_id: int
    turn: int
    text: str
    score: float
    """Higher is a better match (BM25 or ts_rank, comparable only within one answer)."""


def terms(*texts: str) -> list[str]:
    """The words worth searching for, in order, once each (lowercased; stopwords left out)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in WORDS.findall(text.lower()):
            if len(word) > 1 and word not in STOPWORDS:
                seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def passages(
    session: Session, words: list[str], condition: sa.ColumnElement[bool], limit: int
) -> list[Passage]:
    """The best-matching respondent turns of the results that meet `condition`."""
    if not words:
        return []
    stmt = _postgres(words) if session.get_bind().dialect.name == "postgresql" else _sqlite(words)
    stmt = (
        stmt.join(InterviewResult, InterviewResult.id == AskPassage.result_id).where(condition).limit(limit)
    )
    return [Passage(r.result_id, r.turn, r.text, float(r.score)) for r in session.execute(stmt)]


def _sqlite(words: list[str]) -> sa.Select[Any]:
    fts = sa.table("ask_fts", sa.column("rowid"))
    table: sa.ColumnElement[Any] = sa.literal_column("ask_fts")
    bm25 = sa.func.bm25(table)
    match = " OR ".join(f'"{word}"' for word in words)  # words are letters and digits only
    return (
        sa.select(AskPassage.result_id, AskPassage.turn, AskPassage.text, (-bm25).label("score"))
        .select_from(fts)
        .join(AskPassage, AskPassage.id == fts.c.rowid)
        .where(table.op("MATCH")(match))
        .order_by(bm25)
    )


def _postgres(words: list[str]) -> sa.Select[Any]:
    config: sa.ColumnElement[Any] = sa.literal_column(f"'{SEARCH_CONFIG}'::regconfig")
    vector = sa.func.to_tsvector(config, AskPassage.text)  # the indexed expression, exactly
    query = sa.func.to_tsquery(config, " | ".join(words))
    rank = sa.func.ts_rank_cd(vector, query)
    return (
        sa.select(AskPassage.result_id, AskPassage.turn, AskPassage.text, rank.label("score"))
        .where(vector.op("@@")(query))
        .order_by(rank.desc(), AskPassage.id)
    )


def considered(session: Session, condition: sa.ColumnElement[bool]) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(InterviewResult).where(condition)) or 0)


def theme_counts(session: Session, condition: sa.ColumnElement[bool], limit: int) -> list[tuple[str, int]]:
    """The most mentioned themes of the results that meet `condition`: (label, interviews), most first."""
    if session.get_bind().dialect.name == "postgresql":
        each = sa.func.jsonb_array_elements(InterviewResult.themes).table_valued("value")
        label: Any = each.c.value.op("->>", return_type=sa.Text())("label")
        labels: sa.ColumnElement[bool] = sa.true()
    else:  # json_tree's atoms are read without parsing each element again: 2.5x json_each + json_extract
        each = sa.func.json_tree(InterviewResult.themes).table_valued("key", "atom")
        label = each.c.atom
        labels = each.c.key == "label"
    interviews = sa.func.count(sa.distinct(InterviewResult.id))
    stmt = (
        sa.select(label.label("label"), interviews.label("interviews"))
        .select_from(InterviewResult)
        .join(each, sa.true())
        .where(condition, labels, label.is_not(None))
        .group_by(label)
        .order_by(interviews.desc(), label)
        .limit(limit)
    )
    return [(str(row.label), int(row.interviews)) for row in session.execute(stmt)]


def themes_of(session: Session, result_ids: set[int]) -> dict[int, list[str]]:
    """The theme labels of each of these results (only the few a question retrieved)."""
    if not result_ids:
        return {}
    rows = session.execute(
        sa.select(InterviewResult.id, InterviewResult.themes).where(
            InterviewResult.id.in_(sorted(result_ids))
        )
    )
    return {row.id: [str(t.get("label")) for t in row.themes or [] if isinstance(t, dict)] for row in rows}
