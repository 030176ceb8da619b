"""Pages fetched ahead: the provider works on the next pages while the sync writes earlier ones.

A sync alternates between waiting for the provider and waiting for the database; on its own
each leaves the other idle. A thread of its own pulls the source's pages into a short queue
(so at most `depth` pages wait in memory), with the caller's context (app, outbound scope
and its retry counters) copied over, and hands back whatever the source raised. `take`
hands over every page that is ready, so when the database is the slower side each write
carries several pages (fewer round trips), and when the provider is, each page is written
as soon as it arrives. Leaving the `with` block early stops the thread and closes the
source, in the thread that runs it.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_PAGE, _END, _ERROR = "page", "end", "error"
POLL_S = 0.1


class _Ahead(Generic[T]):
    def __init__(self, source: Iterator[T], depth: int) -> None:
        self._source = source
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(depth)
        self._stop = threading.Event()
        self._done = False
        self._failure: BaseException | None = None
        self._thread = threading.Thread(
            target=contextvars.copy_context().run, args=(self._produce,), name="cohort-fetch", daemon=True
        )
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        while (taken := self.take(1, lambda _: 1)) is not None:
            yield taken[0]

    def take(self, limit: int, size: Callable[[T], int]) -> list[T] | None:
        """The next item, waiting for it, and those ready behind it while their `size` adds up
        to less than `limit`; None once the source is done."""
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
        if self._done:
            return None
        taken: list[T] = []
        total = 0
        item = self._queue.get()
        while True:
            kind, value = item
            if kind == _END:
                self._done = True
                return taken or None
            if kind == _ERROR:
                self._done = True
                if taken:  # what arrived before the failure is handed over first; the failure next
                    self._failure = value
                    return taken
                raise value
            taken.append(value)
            total += size(value)
            if total >= limit:
                return taken
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return taken

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _produce(self) -> None:
        try:
            for page in self._source:
                if not self._put((_PAGE, page)):
                    return
            self._put((_END, None))
        except BaseException as exc:  # handed to the caller, who decides
            self._put((_ERROR, exc))
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False


@contextmanager
def ahead(source: Iterator[T], depth: int = 1) -> Generator[_Ahead[T], None, None]:
    """Iterates `source` in a thread, up to `depth` items ahead of the caller."""
    fetching = _Ahead(source, depth)
    try:
        yield fetching
    finally:
        fetching.stop()
