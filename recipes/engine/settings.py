"""The workspace's automation settings as the engine reads them: suppression rules, time zone,
and the default cap across campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Workspace

WORKSPACE_ID = 1
DEFAULT_TIMEZONE = "UTC"
DEFAULT_PER_PERSON_DAYS = 90
"""One interview per person per 90 days across campaigns, as the seeds recommend."""


@dataclass(frozen=True)
class Rules:
    suppression: list[dict[str, Any]]
    timezone: str
    per_person_days: int

    @property
    def zone(self) -> ZoneInfo:
        """The workspace's zone; a name the system no longer knows reads as UTC rather than failing."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(DEFAULT_TIMEZONE)


def workspace_rules(session: Session) -> Rules:
    """Read as columns, not through the identity map, so a long-lived session sees the latest save."""
    found = (
        session.connection()
        .execute(
            sa.select(Workspace.suppression, Workspace.timezone, Workspace.per_person_days).where(
                Workspace.id == WORKSPACE_ID
            )
        )
        .first()
    )
    if found is None:
        return Rules([], DEFAULT_TIMEZONE, DEFAULT_PER_PERSON_DAYS)
    suppression, timezone, days = found
    return Rules(list(suppression.get("rules", [])), timezone, days)
