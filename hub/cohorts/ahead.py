"""Pages fetched one step ahead: the provider works on the next page while the sync writes this one.

A sync alternates between waiting for the provider and waiting for the database; on its own
each leaves the other idle. A thread of its own pulls the source's pages into a short queue
(so at most `depth` pages wait in memory), with the caller's context (app, outbound scope
and its retry counters) copied over, and hands back whatever the source raised. Leaving the
`with` block early stops the thread and closes the source, in the thread that runs it.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Generator, Iterator
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
        self._thread = threading.Thread(
            target=contextvars.copy_context().run, args=(self._produce,), name="cohort-fetch", daemon=True
        )
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        while True:
            kind, value = self._queue.get()
            if kind == _END:
                return
            if kind == _ERROR:
                raise value
            yield value

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
def ahead(source: Iterator[T], depth: int = 1) -> Generator[Iterator[T], None, None]:
    """Iterates `source` in a thread, `depth` items ahead of the caller."""
    fetching = _Ahead(source, depth)
    try:
        yield iter(fetching)
    finally:
        fetching.stop()
