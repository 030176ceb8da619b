"""One pace per destination shared by every worker: `reserve(key, pace)` hands out the next free slot.

Slack takes about one message a second per channel and Linear an hourly budget; a worker
that just sent as fast as it could would be refused (429) and a burst would come back out
of order through the retry schedule. So before each paced action the outbox handler reserves
a slot for its key (`slack:<connection id>:<channel>`) and waits until it: reservations are
atomic and the slot only ever moves forward, so slots are handed out in call order and none
is given twice, across threads, processes and machines. Nothing is ever dropped: a caller
that would wait too long gets the wait back and tries later.

The slot is the generic cell rate algorithm's theoretical arrival time: with `count` actions
per `per_seconds`, each action moves it by `per_seconds / count`, and up to `count` actions
may go at once after a quiet spell (a leaky bucket, which is how Linear counts its budget;
with count 1 it is plain spacing, as Slack wants). It lives in Redis when the app runs its
jobs on RQ (one Lua script, on Redis's clock) and in the `pace_slots` table in the embedded
default (one upsert in its own short transaction).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from redis import Redis
from sqlalchemy.dialects import postgresql, sqlite

from connectors.sdk.actions import Pace
from hub.db import db
from hub.models.pacing import PaceSlot
from hub.runtime import jobs

REDIS_PREFIX = "journeyhub:pace:"

# KEYS[1] the pace key; ARGV interval, tolerance, within (negative: take the slot whatever the wait).
# Answers the wait in seconds as text (a Lua number would be truncated to an integer).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, tolerance, within = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = math.max(tat - tolerance - now, 0)
if within < 0 or wait <= within then
  local nxt = tat + interval
  redis.call('SET', KEYS[1], string.format('%.6f', nxt), 'PX', math.ceil((nxt - now) * 1000) + 60000)
end
return string.format('%.6f', wait)
"""


def reserve(key: str, pace: Pace, *, within: float | None = None) -> float:
    """Reserves the next free slot for `key`; answers the seconds until it (0 when free now).

    With `within`, a slot further away than that is not reserved and its wait is answered
    anyway, so a caller that will not wait that long (it asks the outbox to retry later)
    leaves the slot to whoever comes first instead of burning it. Call it outside a write
    transaction: on SQLite the embedded variant writes through its own connection.
    """
    if pace.per_seconds <= 0 or pace.count < 1:
        raise ValueError("a pace needs per_seconds > 0 and count >= 1")
    interval = pace.per_seconds / pace.count
    tolerance = pace.per_seconds - interval
    backend = jobs.backend()
    if isinstance(backend, jobs.RQBackend):
        return _reserve_redis(backend.redis, key, interval, tolerance, within)
    return _reserve_db(key, interval, tolerance, within)


def _reserve_redis(redis: Redis, key: str, interval: float, tolerance: float, within: float | None) -> float:
    limit = -1.0 if within is None else within
    answer = redis.eval(_RESERVE, 1, REDIS_PREFIX + key, repr(interval), repr(tolerance), repr(limit))
    return float(answer)


def _reserve_db(key: str, interval: float, tolerance: float, within: float | None) -> float:
    """One upsert moves the slot and answers it; the row lock (or SQLite's write lock) orders callers."""
    now = time.time()
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        insert = (postgresql.insert if postgres else sqlite.insert)(PaceSlot)
        later = (sa.func.greatest if postgres else sa.func.max)(PaceSlot.next_at, now)
        update_when = None if within is None else later - tolerance - now <= within
        moved = conn.execute(
            insert.values(key=key, next_at=now + interval)
            .on_conflict_do_update(
                index_elements=[PaceSlot.key], set_={"next_at": later + interval}, where=update_when
            )
            .returning(PaceSlot.next_at)
        ).scalar_one_or_none()
        if moved is None:  # further away than `within`: nothing reserved
            current = conn.execute(sa.select(PaceSlot.next_at).where(PaceSlot.key == key)).scalar_one()
            return max(current - tolerance - now, 0.0)
    return max(moved - interval - tolerance - now, 0.0)
