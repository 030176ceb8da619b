"""One paging loop for every API, and the failure every hand-written loop missed: a repeated token."""

from __future__ import annotations

import pytest

from connectors.sdk import PaginationLoop, paginate


def test_pages_follow_tokens_until_there_is_none() -> None:
    pages = {None: ([1, 2], "b"), "b": ([3], "c"), "c": ([], None)}
    assert list(paginate(lambda token: pages[token], what="numbers")) == [[1, 2], [3], []]


def test_a_token_handed_back_twice_stops_the_walk_with_a_clear_error() -> None:
    pages = {None: (["a"], "t1"), "t1": (["b"], "t2"), "t2": (["c"], "t1")}
    walked = []
    with pytest.raises(PaginationLoop, match="returned page token 't1' a second time") as caught:
        walked.extend(paginate(lambda token: pages[token], what="Example contacts"))
    assert walked == [["a"], ["b"], ["c"]]
    assert str(caught.value).startswith("Example contacts:")
    assert not caught.value.retryable


def test_pages_are_fetched_lazily() -> None:
    fetched: list[object] = []

    def fetch(token: int | None) -> tuple[int, int | None]:
        fetched.append(token)
        return (token or 0), (token or 0) + 1

    walk = paginate(fetch, what="endless")
    assert [next(walk), next(walk), next(walk)] == [0, 1, 2]
    assert fetched == [None, 1, 2]
