"""What a provider pushes about a cohort: one page of its whole membership, or who entered or left.

A membership push is not a journey event: the hub compares it with the membership it stores
and writes the cohort_entered / cohort_exited events itself, exactly as after a pull. So a
receiver only says what the delivery holds, in these terms, and never decides what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from connectors.sdk.sources import Member

MAX_KEY_LEN = 255
"""Delivery keys are stored per connection in a column of this width."""


class PushKind(StrEnum):
    SNAPSHOT = "snapshot"
    """One page of the whole membership; the snapshot counts once every page of its session arrived."""
    ADDED = "added"
    """These members entered; one already stored changes nothing."""
    REMOVED = "removed"
    """These members left; one not stored changes nothing."""


@dataclass(frozen=True)
class CohortPush:
    """One delivery of a cohort push, as its receiver understood it.

    `delivery_key` is the same whenever the provider sends this batch again (Amplitude's
    message_id; Mixpanel's session, action and page), so a redelivery changes nothing.
    `session`, `page` (1-based) and `pages` tie the pages of one snapshot together; a push of
    increments is page 1 of 1 unless its provider pages those too.
    """

    source_ref: str
    name: str
    kind: PushKind
    members: Sequence[Member]
    delivery_key: str
    session: str | None = None
    page: int = 1
    pages: int = 1
    occurred_at: datetime | None = None
    """When the provider computed the change; the hub's own clock when it does not say."""

    def __post_init__(self) -> None:
        if not 1 <= self.page <= self.pages:
            raise ValueError(f"page {self.page} of {self.pages} is not a page of the session")
        if not self.delivery_key or len(self.delivery_key) > MAX_KEY_LEN:
            raise ValueError(f"a delivery key is 1 to {MAX_KEY_LEN} characters")
        if self.kind is PushKind.SNAPSHOT and not self.session:
            raise ValueError("a snapshot page must name its session")
