"""What a connector hands the hub on the way in: journey events, and why items were not usable.

The hub stores these; connectors never touch the database, so this is the whole contract of
an inbound path (a webhook receiver or the tracking API parser).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from connectors.sdk.pushes import CohortPush
from connectors.sdk.results import InterviewResult


@dataclass(frozen=True)
class JourneyEvent:
    """A normalised event about one person, as every source hands it over.

    `identities` maps identity kind names (connectors.sdk.identity) to the values the
    source knows the person by; at least one must be usable.
    """

    external_id: str
    name: str
    identities: Mapping[str, Any]
    occurred_at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)
    traits: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundRequest:
    """A webhook delivery as received, before anything trusts it.

    `url` is the address as the sender called it, escapes undecoded (signatures such as
    HubSpot's cover it byte for byte). `headers` look names up without regard to case, as
    HTTP means them. `tolerance` is how far a signed timestamp may be from `received_at`
    either way (JOURNEYHUB_WEBHOOK_TOLERANCE_S), so receivers never read settings themselves.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime
    tolerance: timedelta = timedelta(minutes=5)


class SignatureError(Exception):
    """Missing, wrong or stale signature: answered 401, nothing stored."""


class PayloadError(ValueError):
    """A body that cannot be used: answered 400 naming the field, nothing stored."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Rejected:
    """One item of a batch that was not stored (or a note about one that was), and why."""

    index: int
    field: str | None
    message: str


@dataclass
class Parsed:
    """What a delivery holds: the usable events and the items that were not."""

    events: list[JourneyEvent] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    ignored: list[Rejected] = field(default_factory=list)
    """Well-formed items that are not about a person (a HubSpot deal change): answered 200."""
    warnings: list[Rejected] = field(default_factory=list)
    """Accepted items with something worth telling the sender, such as an unknown field."""
    cohort_push: CohortPush | None = None
    """A delivery about a cohort's membership (connectors.sdk.pushes) instead of events."""
    results: list[InterviewResult] = field(default_factory=list)
    """Finished interviews (the `interviews` connector): stored by the insights domain, not as events."""


class WebhookReceiver(Protocol):
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        """Raises SignatureError unless the request is authentic and fresh."""

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        """Raises PayloadError when the whole body is unusable."""


@runtime_checkable
class AnswerDialect(Protocol):
    """A receiver whose sender expects answers in its own shape (Mixpanel reads `status`)."""

    def answer(self, body: bytes | None, status: int, answer: dict[str, Any]) -> dict[str, Any]:
        """The hub's `answer` (its figures, or `{"error": {...}}` from 400 on) as the sender reads it.

        `body` is the delivery as it arrived, unverified, or None when it was never read.
        """


class TrackingReceiver(Protocol):
    """Parses the calls of a tracking API (`/v1/<kind>`); the hub authenticates and stores.

    It gets the body as bytes, like a webhook receiver, so it decodes it with the SDK's own
    checks (connectors.sdk.json_body) and names every problem in its senders' field names.
    """

    kinds: frozenset[str]

    def parse(self, kind: str, body: bytes, received_at: datetime) -> Parsed:
        """Raises PayloadError when the whole body is unusable."""
