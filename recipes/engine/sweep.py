"""The safety net under "evaluated exactly once": events stored but never evaluated.

The hub enqueues evaluation after commit; if the process dies between the two, or a job is
lost, the event has no row in the `evaluated_events` ledger. The sweep finds such events a
minute after they arrived and evaluates them; the ledger and the unique decisions and
invites make a sweep that races the regular job harmless. Only events some enabled recipe
looks at need a row (recipes.engine.engine): others have nothing to evaluate.

A tick must not read the whole events table, which only grows: it starts above a watermark
(`sweep_marks`), the id up to which every event is in the ledger, and walks the primary key
from there. The mark passes an event only once it is in the ledger and was stored more than
SETTLED ago. Ids are handed out before commit, so a transaction still open could yet commit
an event below ids already visible; SETTLED is longer than any transaction that stores events
stays open (ingest commits within seconds, RQ stops a cohort sync after 15 minutes), so the
mark never passes an event that is not visible yet. A tick thus reads the last SETTLED of
events plus any still waiting, whatever the size of the table.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import EvaluatedEvent, Event
from hub.models.automation import SweepMark
from recipes.engine.engine import RecipeIndex, Tally, evaluate
from recipes.engine.rows import dialect_insert

GRACE = timedelta(minutes=1)
SETTLED = timedelta(minutes=30)
BATCH = 1000
MAX_BATCHES = 20
MARK = "unevaluated"


def sweep_unevaluated(session: Session, now: datetime | None = None) -> Tally:
    now = now or utcnow()
    mark = watermark(session)
    waiting = _waiting(RecipeIndex.load(session).names())
    total = Tally()
    for _ in range(MAX_BATCHES):
        ids = list(
            session.scalars(
                sa.select(Event.id)
                .where(Event.id > mark, Event.received_at <= now - GRACE, waiting)
                .order_by(Event.id)
                .limit(BATCH)
            )
        )
        if ids:
            total.add(evaluate(session, ids, now))
        if len(ids) < BATCH:
            break
    _advance(session, mark, waiting, now)
    return total


def watermark(session: Session) -> int:
    return session.scalar(sa.select(SweepMark.event_id).where(SweepMark.name == MARK)) or 0


def _waiting(names: set[str]) -> sa.ColumnElement[bool]:
    """An event a recipe looks at that is not in the ledger."""
    return sa.and_(Event.name.in_(sorted(names)), ~sa.exists().where(EvaluatedEvent.event_id == Event.id))


def _advance(session: Session, mark: int, waiting: sa.ColumnElement[bool], now: datetime) -> None:
    """Moves the mark up to the first event above it that is still waiting or not yet settled."""
    open_ = sa.or_(Event.received_at > now - SETTLED, waiting)
    first_open = session.scalar(sa.select(sa.func.min(Event.id)).where(Event.id > mark, open_))
    if first_open is None:
        first_open = (session.scalar(sa.select(sa.func.max(Event.id)).where(Event.id > mark)) or mark) + 1
    if first_open - 1 > mark:
        row = {"name": MARK, "event_id": first_open - 1, "updated_at": utcnow()}
        stmt = dialect_insert(session)(SweepMark.__table__).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"event_id": stmt.excluded.event_id, "updated_at": stmt.excluded.updated_at},
            where=SweepMark.__table__.c.event_id < stmt.excluded.event_id,
        )
        session.execute(stmt)
    session.commit()
