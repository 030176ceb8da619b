"""The trail a profile merge leaves: which profile was folded into which, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow


class ProfileMerge(Base):
    """`merged_profile_id` no longer exists; everything it had now belongs to the survivor."""

    __tablename__ = "profile_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(sa.ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    merged_profile_id: Mapped[int] = mapped_column(index=True)
    reason: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
