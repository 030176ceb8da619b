"""Identity kinds: the keys a person is known by, an open set that connectors extend.

The hub knows three kinds of its own (an email, your product's user id, an anonymous id);
every other kind is declared by the connector that emits it (`ConnectorSpec.identity_kinds`),
so a new source adds its ids without editing the platform. Values are normalised here, the
same way for every kind: emails compare case-insensitively, every other id is kept exactly
as its system sent it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_VALUE_LEN = 320

Key = tuple[str, str]


@dataclass(frozen=True)
class IdentityKind:
    name: str
    description: str
    per_account: bool = False
    """Unique only inside one account of its system (a HubSpot portal, a Mixpanel project): the
    hub keeps such ids apart per connection, so two accounts' contact 123 are never one person."""


EMAIL = IdentityKind("email", "an email address, compared without regard to case")
USER_ID = IdentityKind("user_id", "the user id your product gives a person")
ANONYMOUS_ID = IdentityKind("anonymous_id", "a device or visitor id from before sign-up")
CORE_KINDS = (EMAIL, USER_ID, ANONYMOUS_ID)


def normalise(kind: str, value: Any) -> Key | None:
    """The key for a value, None when there is no value; ValueError when it cannot be a key."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if kind == EMAIL.name:
        text = text.lower()
    if len(text) > MAX_VALUE_LEN:
        raise ValueError(f"{kind} is longer than {MAX_VALUE_LEN} characters")
    return (kind, text)


def keys_of(identities: Mapping[str, Any]) -> list[Key]:
    return sorted({k for kind, value in identities.items() if (k := normalise(kind, value)) is not None})
