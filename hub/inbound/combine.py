"""Group commit: deliveries that arrive while another commits share the next transaction.

A commit costs the same round trips (connection check, BEGIN, key lookup, insert, COMMIT,
the evaluation job) whether it carries one event or a hundred, and under load a tracking
request spends most of its time on them. So a delivery that arrives while another one is
committing waits in a queue, and when that commit is done the oldest waiting delivery
commits everything queued by then in one transaction. Nobody waits for a timer: a lone
delivery commits at once, exactly as before.

Each delivery still learns its own outcome only after the transaction holding its events
committed (or failed) and what `run` left to do afterwards (sending the evaluation job) is
done; `run` decides how a shared failure is shared out. That afterwards runs once the next
group has been told to commit, so the next transaction does not wait for it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

Result = TypeVar("Result")


@dataclass(eq=False)
class Delivery(Generic[Result]):
    connection_id: int
    events: list[Any]
    result: Result | None = None
    error: BaseException | None = None
    lead: bool = False
    ready: threading.Event = field(default_factory=threading.Event)


Afterwards = Callable[[], None]


class Combiner(Generic[Result]):
    """`run(session, group)` commits a group, sets each delivery's `result` or `error`, and
    answers what is left to do before the group's deliveries are answered."""

    def __init__(self, run: Callable[[Session, list[Delivery[Result]]], Afterwards], max_events: int) -> None:
        self._run, self._max_events = run, max_events
        self._lock = threading.Lock()
        self._queue: deque[Delivery[Result]] = deque()
        self._busy = False

    @property
    def waiting(self) -> int:
        """Deliveries queued for the next commit."""
        with self._lock:
            return len(self._queue)

    def submit(self, session: Session, delivery: Delivery[Result]) -> Result:
        with self._lock:
            self._queue.append(delivery)
            if not self._busy:
                self._busy = delivery.lead = True
        if not delivery.lead:
            delivery.ready.wait()  # until committed by another, or told to commit the next group
        if delivery.lead:
            self._commit_next(session)
        if delivery.error is not None:
            raise delivery.error
        assert delivery.result is not None  # noqa: S101 - `run` sets one of the two
        return delivery.result

    def _commit_next(self, session: Session) -> None:
        """Commits the oldest deliveries (this one first) on this thread's session, then hands on."""
        with self._lock:
            group = [self._queue.popleft()]
            size = len(group[0].events)
            while self._queue and size + len(self._queue[0].events) <= self._max_events:
                size += len(self._queue[0].events)
                group.append(self._queue.popleft())
        afterwards: Afterwards | None = None
        try:
            afterwards = self._run(session, group)
        finally:
            for delivery in group:
                if delivery.result is None and delivery.error is None:
                    delivery.error = RuntimeError("the commit carrying this delivery was interrupted")
            with self._lock:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._busy = False
                else:
                    following.lead = True
            if following is not None:
                following.ready.set()
            try:
                if afterwards is not None:
                    afterwards()
            except Exception as exc:  # what was committed stays so; each delivery learns of the failure
                for delivery in group:
                    delivery.error = exc
            finally:
                for delivery in group[1:]:
                    delivery.ready.set()
