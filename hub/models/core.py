"""Core tables: connections, profiles and identities, events, runs, API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, utcnow


class Connection(Base):
    """One configured account of an external system; its config is a Fernet token.

    `lookup_key` is the SHA-256 of a credential that identifies the connection on inbound
    requests (a tracking write key), so it can be found without decrypting every row.
    """

    __tablename__ = "connections"
    __table_args__ = (sa.UniqueConstraint("connector", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(sa.String(50), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    config_encrypted: Mapped[str] = mapped_column(sa.Text)
    lookup_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="ok")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.connector}:{self.name} {self.status}>"


class Profile(Base):
    """One customer, whatever systems know them under."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    identities: Mapped[list[Identity]] = relationship(back_populates="profile", order_by="Identity.id")

    def __repr__(self) -> str:
        return f"<Profile {self.id}>"


class Identity(Base):
    """A key under which a system knows a profile (email, hubspot_contact, …); unique per kind."""

    __tablename__ = "identities"
    __table_args__ = (sa.UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    value: Mapped[str] = mapped_column(sa.String(400))
    """Up to 320 characters of id; per-account kinds add `<connection id>:` in front."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    profile: Mapped[Profile] = relationship(back_populates="identities")


class Event(Base):
    """A journey event; (connection, external_id) makes redelivery a no-op."""

    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "external_id"),
        sa.Index("ix_events_name_occurred_at_profile_id", "name", "occurred_at", "profile_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(200))
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profiles.id"), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """What one job did, readable by a person: figures and progress live in `stats`."""

    __tablename__ = "runs"
    __table_args__ = (sa.Index("ix_runs_kind_subject", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    duration_ms: Mapped[int | None] = mapped_column()
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)

    steps: Mapped[list[RunStep]] = relationship(back_populates="run", order_by="RunStep.id")


class RunStep(Base):
    """One part of a run; `name` is indexed so a subject's steps can be found (`outbox:12`)."""

    __tablename__ = "run_steps"
    __table_args__ = (sa.Index("ix_run_steps_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column()
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)

    run: Mapped[Run] = relationship(back_populates="steps")


class ApiToken(Base):
    """Only the SHA-256 of a token is kept; the token itself is shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
