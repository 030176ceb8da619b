"""Campaigns, recipes and what the recipe engine decided: decisions, invites and cap claims.

`cap_claims` has no foreign key to profiles on purpose: a profile merge moves every column
that points at profiles.id, and two claims of the merged people would collide on the key.
`evaluated_events` is the ledger that makes evaluation exactly-once: an event that some
enabled recipe looks at and that has no row there is picked up by the sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Campaign(Base):
    """What an invite looks like and how it travels; `definition` is the validated JSON."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Recipe(Base):
    """The current version of a recipe; `trigger_key` indexes it for the engine (`event:signup`)."""

    __tablename__ = "recipes"
    __table_args__ = (sa.Index("ix_recipes_trigger_key", "trigger_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    trigger_key: Mapped[str] = mapped_column(sa.String(300))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RecipeVersion(Base):
    """Every saved state of a recipe, so a decision can name the version that made it."""

    __tablename__ = "recipe_versions"
    __table_args__ = (sa.UniqueConstraint("recipe_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(sa.ForeignKey("recipes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Workspace(Base):
    """The one row of workspace-wide automation settings: suppression rules and defaults."""

    __tablename__ = "automation_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    suppression: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    per_person_days: Mapped[int] = mapped_column(default=90)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Decision(Base):
    """One per event x recipe whose trigger matched; unique, so re-evaluation records nothing twice."""

    __tablename__ = "decisions"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "recipe_id"),
        sa.Index("ix_decisions_outcome_retry_at", "outcome", "retry_at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    event_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("events.id", ondelete="CASCADE"))
    recipe_id: Mapped[int] = mapped_column(sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True)
    recipe_version: Mapped[int] = mapped_column()
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    step: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    retry_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=1)


class Invite(Base):
    """A row waiting to be sent; one per person x campaign x trigger event, held by the database."""

    __tablename__ = "invites"
    __table_args__ = (
        sa.UniqueConstraint("profile_id", "campaign_id", "event_id"),
        sa.Index("ix_invites_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profiles.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    recipe_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recipes.id", ondelete="SET NULL"))
    event_id: Mapped[int] = mapped_column(BIGINT, sa.ForeignKey("events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(20))
    due_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    link: Mapped[str | None] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CapClaim(Base):
    """A frequency cap's state under one key (`person:7`, `budget:3:2026-11-23`), claimed atomically.

    `previous_at`/`previous_used` keep the state a claim replaced (null: the claim inserted the
    row), so a batch can give back a claim whose invite a later cap refused, in the same
    transaction, while it still holds the row.
    """

    __tablename__ = "cap_claims"

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column()
    used: Mapped[int] = mapped_column(default=1)
    previous_at: Mapped[datetime | None] = mapped_column()
    previous_used: Mapped[int | None] = mapped_column()


class EvaluatedEvent(Base):
    """The ledger of evaluated events; the sweep evaluates stored events a recipe looks at missing from it."""

    __tablename__ = "evaluated_events"

    event_id: Mapped[int] = mapped_column(
        BIGINT, sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SweepMark(Base):
    """How far the sweep has looked: every event with an id up to `event_id` is in the ledger.

    The sweep starts above it, so a tick reads the recent events, not the whole table.
    """

    __tablename__ = "sweep_marks"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    event_id: Mapped[int] = mapped_column(BIGINT)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
