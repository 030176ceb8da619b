"""Asking the research a question: the searchable respondent turns, conversations and notes.

`ask_passages` holds one row per respondent turn of every stored result. The database keeps
it (triggers on `interview_results`, migration 0015), so whatever path stores a result, its
words are searchable at once. PostgreSQL searches it through a GIN index on its `tsvector`;
SQLite through the FTS5 table `ask_fts` over it, which the migration creates and triggers keep,
and which no model describes (SQLAlchemy has no virtual tables).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, utcnow

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SEARCH_CONFIG = "english"
"""The PostgreSQL text search configuration of the index; a query must name the same one to use it."""


class AskPassage(Base):
    __tablename__ = "ask_passages"
    __table_args__ = (
        sa.UniqueConstraint("result_id", "turn"),
        sa.Index(
            "ix_ask_passages_search",
            sa.text(f"to_tsvector('{SEARCH_CONFIG}'::regconfig, text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    result_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("interview_results.id", ondelete="CASCADE"))
    turn: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text)


class AskConversation(Base):
    """Questions asked one after another over the same filters; `filters` are the last ones used."""

    __tablename__ = "ask_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AskMessage(Base):
    """One question and the answer given, as answered (citations already checked)."""

    __tablename__ = "ask_messages"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ask_conversations.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(sa.Text)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    engine: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AskNote(Base):
    """An answer saved on a finding, with the citations that back it."""

    __tablename__ = "ask_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        BIGINT, sa.ForeignKey("ask_messages.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
