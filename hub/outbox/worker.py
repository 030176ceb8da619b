"""The drain job: claim due rows, let their kind's handler send them, mark what became of each.

A batch is claimed (and its lease committed) before anything is sent, with more rows of a
target whose handler sends batches larger than the claim (`Fills`); sends (one row's, or a
`Together` of several rows in one request) run a few at a time on threads, outside any
transaction; then the rows, their run steps and the domain's side are marked in one commit. A worker that dies between a send and that commit leaves rows
that are taken over when their lease runs out, as tried before, so a channel that can be
asked is asked first and every other resend carries the same idempotency key.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hub.db import db, utcnow
from hub.outbound import RetryStats, outbound_scope
from hub.outbox import marks
from hub.outbox.claims import claim, serialize_claims
from hub.outbox.handlers import handler_for
from hub.outbox.outcomes import Policy, classify, policy, transition
from hub.outbox.types import Fills, Item, Outcome, Retry, Send, Settled, Together
from hub.runtime.jobs import enqueue, job

log = logging.getLogger(__name__)
MAX_FILL = 5000
"""Most rows claimed besides a batch to fill its targets' batches (Mixpanel takes 2,000 a request)."""


@job
def drain() -> int:
    """Delivers due rows until none is left; answers how many. Hands over to a fresh job after the budget."""
    rules = policy()
    claimant = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[-100:]
    started = time.monotonic()
    done = 0
    while items := _claim_batches(db.session, claimant, rules):
        done += deliver(db.session, claimant, items, rules)
        if time.monotonic() - started > rules.budget_s:
            enqueue(drain, job_id=f"outbox-more-{uuid.uuid4().hex}")
            break
    return done


@job
def deliver_due() -> int:
    """The periodic tick: rows due for a retry, rows whose worker died, wakes that were lost."""
    return drain()


def _claim_batches(session: Session, claimant: str, rules: Policy) -> list[Item]:
    """A claim and, when it came back full (more may be due), the rows that fill the batches it
    starts, in one transaction: a concurrent worker's claim cannot take the rest of a batch
    between the two, which would split a Mixpanel request of 1,000 rows into two."""
    serialize_claims(session)
    items = claim(session, claimant, rules.batch, rules.lease_s, utcnow(), commit=False)
    if len(items) >= rules.batch:
        items = sorted([*items, *_fill(session, claimant, items, rules)], key=lambda item: item.id)
    session.commit()
    return items


def _fill(session: Session, claimant: str, items: Sequence[Item], rules: Policy) -> list[Item]:
    """The rows of each target a handler wants besides these, up to MAX_FILL, claimed the same way."""
    more: list[Item] = []
    for kind in sorted({item.kind for item in items}):
        handler = handler_for(kind)
        if not isinstance(handler, Fills):
            continue
        for target, wanted in handler.wanted([item for item in items if item.kind == kind]).items():
            room = min(wanted, MAX_FILL - len(more))
            if room > 0:
                more += claim(
                    session, claimant, room, rules.lease_s, utcnow(), kind=kind, target=target, commit=False
                )
    return more


def deliver(session: Session, claimant: str, items: Sequence[Item], rules: Policy) -> int:
    """Sends one claimed batch and marks it; answers how many rows were settled."""
    started = utcnow()
    outcomes: dict[int, Outcome] = {}
    by_kind: dict[str, list[Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    for kind, group in by_kind.items():
        outcomes |= _outcomes(session, kind, group, rules)
    now = utcnow()
    marked = []
    for item in items:
        moved = transition(outcomes[item.id], item.attempt, now, rules)
        marked.append(marks.Marked(Settled(item, outcomes[item.id], moved.status), moved))
    marks.mark(session, claimant, marked, started, now)
    for kind in by_kind:
        handler = handler_for(kind)
        if handler is not None:
            handler.settle(session, [m.settled for m in marked if m.settled.item.kind == kind])
    session.commit()
    return len(marked)


def _outcomes(session: Session, kind: str, items: Sequence[Item], rules: Policy) -> dict[int, Outcome]:
    handler = handler_for(kind)
    if handler is None:
        return {
            item.id: Retry(f"no handler for outbox rows of kind {kind!r} in this worker") for item in items
        }
    try:
        prepared = handler.prepare(session, items)
    except Exception as exc:
        # A bug or an outage while reading: the rows wait, each attempt counted, and go dead in the end.
        session.rollback()
        log.exception("preparing %d %s rows failed", len(items), kind)
        return {item.id: Retry(f"preparing failed: {type(exc).__name__}: {exc}"[:500]) for item in items}
    outcomes: dict[int, Outcome] = {}
    tasks: dict[int, _Task] = {}
    for item in items:
        found = prepared.get(item.id)
        if found is None:
            outcomes[item.id] = Retry("the handler prepared nothing for this row")
        elif isinstance(found, Together):
            tasks.setdefault(id(found), _Task(found.send, [])).ids.append(item.id)
        elif callable(found):
            tasks[-item.id] = _Task(_alone(item.id, found), [item.id])
        else:
            outcomes[item.id] = found
    return outcomes | _send_all(list(tasks.values()), rules.threads)


@dataclass(frozen=True)
class _Task:
    """One send and the rows it answers for: one row's send, or a Together of several."""

    send: Callable[[], Mapping[int, Outcome]]
    ids: list[int]


def _alone(row_id: int, send: Send) -> Callable[[], Mapping[int, Outcome]]:
    return lambda: {row_id: send()}


def _send_all(tasks: Sequence[_Task], threads: int) -> dict[int, Outcome]:
    """Runs the sends on a few lanes, each a thread taking the next send until none is left.

    A lane per thread rather than a future per send: with a receiver that answers at once, a
    future per send woke the waiting thread and contended for the GIL a hundred times a batch
    (about 5% of a delivery's CPU). Each lane runs in a copy of this context (app, outbound scope).
    """
    if not tasks:
        return {}
    pending = iter(tasks)  # a list iterator hands each task to one lane only, under the GIL

    def lane() -> dict[int, Outcome]:
        return {row_id: outcome for task in pending for row_id, outcome in _send(task).items()}

    with outbound_scope(RetryStats()):
        count = min(threads, len(tasks))
        if count <= 1:
            return lane()
        pool = _senders(threads)
        lanes = [pool.submit(contextvars.copy_context().run, lane) for _ in range(count)]
        return {row_id: outcome for done in lanes for row_id, outcome in done.result().items()}


_pool: tuple[int, int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _senders(threads: int) -> ThreadPoolExecutor:
    """This process's sending threads, kept from batch to batch and drain to drain.

    Channels keep a client, and with it a connection, per sending thread: threads started
    for each batch opened eight new sessions and connections every hundred rows, 7% of a
    delivery's CPU. A forked process (RQ's work-horse) starts its own, the parent's threads
    not being there.
    """
    global _pool
    with _pool_lock:
        if _pool is None or _pool[:2] != (os.getpid(), threads):
            if _pool is not None and _pool[0] == os.getpid():
                _pool[2].shutdown(wait=False)  # the thread count changed: the old threads end when idle
            _pool = (os.getpid(), threads, ThreadPoolExecutor(threads, thread_name_prefix="outbox-send"))
        return _pool[2]


def _send(task: _Task) -> dict[int, Outcome]:
    """Each of the task's rows' outcome: what it answered, or what it raised, for all of them."""
    try:
        answered = task.send()
    except Exception as exc:
        failed = classify(exc)
        return {row_id: failed for row_id in task.ids}
    missing = Retry("the batch it was sent in answered nothing for this row")
    return {row_id: answered.get(row_id, missing) for row_id in task.ids}
