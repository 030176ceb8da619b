"""What a domain's handler is given (claimed rows) and answers (what became of each send)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Item:
    """One claimed row, as the handler sees it."""

    id: int
    kind: str
    target: str
    payload: Mapping[str, Any]
    idempotency_key: str
    attempt: int
    """This attempt's number, counted when the row was claimed: 1 is the first."""
    tried_before: bool
    """An earlier attempt may have reached the receiver (its worker died, or it failed after
    sending): a channel that can be asked should be asked before sending again."""


@dataclass(frozen=True)
class Sent:
    result: Mapping[str, Any] = field(default_factory=dict)
    summary: str = "sent"


@dataclass(frozen=True)
class Refused:
    """Trying again cannot help (bad settings, a refused address, the person opted out): `failed` at once."""

    error: str
    code: str = "refused"


@dataclass(frozen=True)
class Retry:
    """Worth trying again: after `after_s` when the provider said, else on the backoff schedule."""

    error: str
    after_s: float | None = None
    rate_limited: bool = False


Outcome = Sent | Refused | Retry
Send = Callable[[], Sent]
"""One send, run outside any transaction; raises hub.outbound's failures, which `outcomes` classifies."""


@dataclass(frozen=True, eq=False)
class Together:
    """One send for several rows (a batch request), answering an outcome per row id.

    The handler returns the same object for each of its rows; the worker runs it once. What
    it raises stands for all of its rows (the whole request failed), classified as one send's
    exception is; a row it answers nothing for is retried.
    """

    send: Callable[[], Mapping[int, Outcome]]


@dataclass(frozen=True)
class Settled:
    """What became of an item: its outcome and the row's new status (`pending` again for a retry)."""

    item: Item
    outcome: Outcome
    status: str


class Handler(Protocol):
    def prepare(self, session: Session, items: Sequence[Item]) -> Mapping[int, Send | Together | Outcome]:
        """Reads what the items need in a few queries; per item id, the send to make (alone or
        together with other rows) or an outcome already known.

        May commit (an invite's link is stored before its first send, so every attempt carries the same one).
        """

    def settle(self, session: Session, settled: Sequence[Settled]) -> None:
        """The domain's side of the outcomes (an invite becomes sent or failed), in the transaction that marks the rows."""


@runtime_checkable
class Fills(Protocol):
    """A handler whose rows travel in batches larger than one claim (a CRM batch update of 200)."""

    def wanted(self, items: Sequence[Item]) -> Mapping[str, int]:
        """Per target, how many more of its due rows would fill the batches these items start.

        The worker claims that many more of the target's rows, so N rows take ceil(N / batch)
        requests whatever the claim size; a paced or unbatched target wants none.
        """
