"""Where the embedded default keeps paced destinations' next free slot (Redis keeps it with RQ).

One row per paced key (`slack:<connection id>:<channel>`): `next_at` is the theoretical
arrival time of the generic cell rate algorithm, in epoch seconds, so one upsert both reads
and moves it and two workers can never be handed the same slot.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base


class PaceSlot(Base):
    __tablename__ = "pace_slots"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    next_at: Mapped[float] = mapped_column(sa.Double())
