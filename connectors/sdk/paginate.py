"""One paging loop for every API: fetch a page, follow its token, stop when there is none.

Each provider pages differently (a cursor in the body, an offset, a next-records URL), but
the loop around it is the same, and so is the one failure every hand-written loop misses:
a provider (or a bug in our request) that hands back a token it already gave, which would
page forever. Modelled on singer-sdk's paginators, with the loop check kept for every token.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

from hub.outbound import ErrorResolution, FailureType, HttpError, ResponseAction

Page = TypeVar("Page")
Token = TypeVar("Token", bound=Hashable)

_LOOP = ErrorResolution(ResponseAction.FAIL, FailureType.SYSTEM_ERROR, "pagination loop")


class PaginationLoop(HttpError):
    """The provider handed back a page token it had already given; following it would never end."""


def paginate(fetch: Callable[[Token | None], tuple[Page, Token | None]], *, what: str) -> Iterator[Page]:
    """Pages from `fetch(token)`, which answers (page, next token or None); the first call gets None."""
    seen: set[Token] = set()
    token: Token | None = None
    while True:
        page, following = fetch(token)
        yield page
        if following is None:
            return
        if following in seen:
            raise PaginationLoop(
                f"{what}: the provider returned page token {str(following)[:80]!r} a second time",
                resolution=_LOOP,
            )
        seen.add(following)
        token = following
