"""Sending failed and dead rows again, one or many, when a person asks.

A replayed row starts a fresh retry schedule (`attempts` back to 0) but keeps its last error,
so it still counts as tried before: a channel that can be asked whether the earlier attempt
arrived is asked before sending again. Rows that are pending or sent are left alone.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models.delivery import DEAD, FAILED, PENDING, Outbox
from hub.outbox.rows import wake

REPLAYABLE = (FAILED, DEAD)


def replay(session: Session, ids: sa.ColumnElement[bool]) -> int:
    """Makes the failed and dead rows matching `ids` due now, wakes a worker; answers how many. Commits."""
    now = utcnow()
    stmt = (
        sa.update(Outbox)
        .where(ids, Outbox.status.in_(REPLAYABLE))
        .values(
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            claimed_by=None,
            claimed_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    count = cast(sa.CursorResult[Any], session.execute(stmt)).rowcount
    if count:
        wake(session, count)
    session.commit()
    return count
