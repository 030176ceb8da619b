"""Interview results, what synthesis made of them, the codebooks their themes come from, and
findings per recipe and window with their history and change events.

A result keeps its transcript and answers as received, so it can be synthesised again; its
usage columns add up the calls made for it, while `synthesis_calls` is the spend ledger the
monthly limit reads (it outlives the results). `finding_windows` holds the denominator of a
recipe's window and is the row that serialises concurrent updates of its findings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, utcnow

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class InterviewResult(Base):
    __tablename__ = "interview_results"
    __table_args__ = (sa.UniqueConstraint("connection_id", "external_id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    """The platform's `result_id`: a redelivery is the same result."""
    invite_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("invites.id", ondelete="SET NULL"))
    profile_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("profiles.id", ondelete="SET NULL"), index=True
    )
    recipe_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recipes.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(BIGINT, sa.ForeignKey("events.id", ondelete="SET NULL"))
    unattributed_reason: Mapped[str | None] = mapped_column(sa.Text)
    respondent: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime] = mapped_column()
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    synthesis_status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    synthesis_note: Mapped[str | None] = mapped_column(sa.Text)
    synthesis_attempts: Mapped[int] = mapped_column(default=0)
    engine: Mapped[str | None] = mapped_column(sa.String(20))
    model: Mapped[str | None] = mapped_column(sa.String(100))
    themes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    sentiment_label: Mapped[str | None] = mapped_column(sa.String(10))
    sentiment_score: Mapped[float | None] = mapped_column()
    quotes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    quality: Mapped[int | None] = mapped_column()
    quality_reason: Mapped[str | None] = mapped_column(sa.Text)
    qualifying: Mapped[bool | None] = mapped_column()
    counted_at: Mapped[datetime | None] = mapped_column()
    """When the result entered its recipe's findings; set once, so none is counted twice."""
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cache_creation_input_tokens: Mapped[int] = mapped_column(default=0)
    cache_read_input_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    synthesised_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SynthesisCall(Base):
    """One call to Claude, kept or not: the monthly spend is the sum of these."""

    __tablename__ = "synthesis_calls"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    result_id: Mapped[int | None] = mapped_column(
        BIGINT, sa.ForeignKey("interview_results.id", ondelete="SET NULL"), index=True
    )
    model: Mapped[str] = mapped_column(sa.String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cache_creation_input_tokens: Mapped[int] = mapped_column(default=0)
    cache_read_input_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(default=0.0)


class CodebookTheme(Base):
    """A theme of one campaign's codebook; `signature` decides which new labels are synonyms."""

    __tablename__ = "codebook_themes"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(sa.String(200))
    signature: Mapped[list[str]] = mapped_column(JSONType, default=list)
    synonyms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    mentions: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FindingWindow(Base):
    """How many qualifying interviews one recipe has in one period (`all` or `YYYY-MM`)."""

    __tablename__ = "finding_windows"

    recipe_id: Mapped[int] = mapped_column(sa.ForeignKey("recipes.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    interviews: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Finding(Base):
    """One theme of one recipe in one window; a finding at the share threshold, else emerging."""

    __tablename__ = "findings"
    __table_args__ = (
        sa.UniqueConstraint("recipe_id", "period", "theme"),
        sa.Index("ix_findings_recipe_id_status", "recipe_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(sa.ForeignKey("recipes.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(7))
    theme: Mapped[str] = mapped_column(sa.String(200))
    mentions: Mapped[int] = mapped_column(default=0)
    interviews: Mapped[int] = mapped_column(default=0)
    share: Mapped[float] = mapped_column(default=0.0)
    sentiment_sum: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(sa.String(10), default="emerging")
    announced_share: Mapped[float | None] = mapped_column()
    """The share told by the last finding-changed event; None while none was recorded."""
    quotes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FindingPoint(Base):
    """The history of a finding's share: one point per day, the day's last value."""

    __tablename__ = "finding_points"
    __table_args__ = (sa.UniqueConstraint("finding_id", "day"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date())
    at: Mapped[datetime] = mapped_column()
    share: Mapped[float] = mapped_column()
    interviews: Mapped[int] = mapped_column()
    mentions: Mapped[int] = mapped_column()


class FindingChange(Base):
    """A finding appeared, moved by more than the set amount, or receded: what result actions act on."""

    __tablename__ = "finding_changes"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    recipe_id: Mapped[int] = mapped_column(sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    theme: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    share_before: Mapped[float | None] = mapped_column()
    share: Mapped[float] = mapped_column()
    interviews: Mapped[int] = mapped_column()
    mentions: Mapped[int] = mapped_column()
    result_id: Mapped[int | None] = mapped_column(
        BIGINT, sa.ForeignKey("interview_results.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(index=True)
    """Set by the result actions once they acted on it."""
