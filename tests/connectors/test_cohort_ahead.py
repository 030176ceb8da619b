"""Pages fetched ahead: what the caller would have seen iterating the source itself, with memory
bounded by the queue, the caller's context carried over, and the source closed however it ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar

import pytest

from hub.cohorts.ahead import ahead

WHO: ContextVar[str] = ContextVar("who", default="nobody")


def test_pages_and_the_sources_failure_arrive_in_order() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("HTTP 500 on page 3")

    seen = []
    with pytest.raises(RuntimeError, match="page 3"), ahead(source()) as pages:
        for page in pages:
            seen.append(page)
    assert seen == [1, 2]


def test_the_callers_context_is_the_fetchers() -> None:
    def source() -> Iterator[str]:
        yield WHO.get()

    WHO.set("the sync")
    with ahead(source()) as pages:
        assert list(pages) == ["the sync"]


def test_it_runs_at_most_a_page_ahead_and_leaving_early_closes_the_source() -> None:
    produced: list[int] = []
    closed_in: list[str] = []

    def source() -> Iterator[int]:
        try:
            for n in range(1000):
                produced.append(n)
                yield n
        finally:
            closed_in.append(threading.current_thread().name)

    with ahead(source(), depth=1) as fetching:
        assert next(iter(fetching)) == 0
        time.sleep(0.3)
        assert len(produced) <= 3  # the one handed over, one queued, one waiting for room
    assert closed_in == ["cohort-fetch"]


def test_take_hands_over_every_ready_page_up_to_a_size() -> None:
    ready = threading.Event()

    def source() -> Iterator[list[int]]:
        yield from ([n] * 3 for n in range(5))
        ready.set()

    with ahead(source(), depth=8) as fetching:
        assert ready.wait(timeout=10)
        time.sleep(0.05)  # the last page into the queue
        assert fetching.take(7, len) == [[0] * 3, [1] * 3, [2] * 3]
        assert fetching.take(100, len) == [[3] * 3, [4] * 3]
        assert fetching.take(100, len) is None


def test_pages_ready_before_a_failure_are_handed_over_before_it() -> None:
    """The sync counts (and shows) the pages that arrived before the source failed."""
    failed = threading.Event()

    def source() -> Iterator[list[int]]:
        yield [1]
        yield [2]
        failed.set()
        raise RuntimeError("HTTP 500 on page 3")

    with ahead(source(), depth=8) as fetching:
        assert failed.wait(timeout=10)
        time.sleep(0.05)  # the failure into the queue behind both pages
        assert fetching.take(100, len) == [[1], [2]]
        with pytest.raises(RuntimeError, match="page 3"):
            fetching.take(100, len)
        assert fetching.take(100, len) is None
