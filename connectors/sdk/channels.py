"""What a delivery channel is given and answers: one rendered invite out, the provider's receipt back.

The hub's outbox owns retries, idempotency keys and the dead-letter state; a channel only
sends one message and says what happened. Failures are raised as the outbound failure
classes (`ConfigError` fails at once, `TransientError` is retried with backoff, `RateLimited`
waits what the provider asked), so every channel reads the same in the outbox and run steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Recipient:
    """The person as the channel addresses them: an email, or the ids their system knows them by."""

    profile_id: int
    email: str | None = None
    name: str | None = None
    identities: Mapping[str, str] = field(default_factory=dict)
    """Identity kind to value (`intercom_contact`, `user_id`, ...) as resolved for this person."""


@dataclass(frozen=True)
class Message:
    """One invite, rendered: the same key on every attempt so receivers and lookups can deduplicate."""

    idempotency_key: str
    recipient: Recipient
    subject: str
    text: str
    html: str | None
    link: str
    unsubscribe_url: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    """The JSON a webhook receives: invite, campaign, profile and the signed link's context."""


@dataclass(frozen=True)
class Receipt:
    """What the provider said it did; stored as the outbox row's `result`."""

    provider_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    def send(self, config: dict[str, Any], message: Message) -> Receipt:
        """Sends once; raises the outbound failure classes on failure, never retries itself."""

    def lookup(self, config: dict[str, Any], message: Message) -> Receipt | None:
        """The receipt of an earlier attempt that did arrive, where the provider can be asked; else None.

        The outbox asks before re-sending a row whose earlier attempt may have been sent
        but not marked (the worker died between the two).
        """
