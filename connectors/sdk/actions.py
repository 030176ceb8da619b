"""What a result-action destination is given (rendered actions) and answers (per action, what happened).

A recipe's result actions become outbox rows (kind `action`); the hub's outbox owns retries,
the dead letter and replay, and recipes/actions renders each action's field templates before
handing it over. A destination only performs one batch of actions of one operation and says,
per action, what became of it: so a CRM batch update of 100 records is one request, and a
record the provider rejected is reported on its own row while the others are done.

Failures of the whole request are raised as the outbound failure classes (`ConfigError`
fails at once, `TransientError` is retried with backoff, `RateLimited` waits what the
provider asked), exactly as channels do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Operation = Literal["create_issue", "comment", "post_message", "update_fields", "track"]


@dataclass(frozen=True)
class Quote:
    """A verbatim quote and the page of its transcript, so every pushed quote links back."""

    text: str
    url: str
    result_id: int


@dataclass(frozen=True)
class Respondent:
    """The person a result is about, as destinations address them: an email or their ids there."""

    profile_id: int
    email: str | None = None
    identities: Mapping[str, str] = field(default_factory=dict)
    """Identity kind to value (`user_id`, `hubspot_contact`, `salesforce_contact`, ...)."""


@dataclass(frozen=True)
class Action:
    """One rendered action: the outbox row's key is its idempotency key on every attempt."""

    key: str
    """The outbox row's idempotency key; a destination that can carry a marker (a Jira or Linear
    label) carries it, so `lookup` finds what an attempt that died before its commit created."""
    operation: Operation
    fields: Mapping[str, str]
    """Destination field to value, the recipe's templates already rendered (sandboxed)."""
    title: str
    """A one-line summary written by the hub (`Finding: pricing too high, 38% of 42 interviews`)."""
    text: str
    """The plain-text body the hub writes: theme, share, counts and quotes with their links."""
    link: str
    """The finding's or the result's page in the hub."""
    quotes: Sequence[Quote] = ()
    respondent: Respondent | None = None
    """Set for `on: result` actions (update_fields and track act on a person)."""
    thread: str | None = None
    """For a comment: the provider's id of what an earlier action of the same finding created
    (a Jira issue key, a Linear issue id); None when nothing was created yet."""
    context: Mapping[str, Any] = field(default_factory=dict)
    """The finding or result as the templates saw it, for destinations that send structure
    (themes, sentiment, quality, interview date, share)."""


@dataclass(frozen=True)
class Done:
    """What the provider made or changed; stored as the outbox row's result. `ref` is what a
    later comment on the same finding is threaded to (the issue key)."""

    ref: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    """The provider refused this action alone (a record that does not exist, a field it will not
    take); `retry` when trying it again can help (the record was locked), else it fails at once."""

    error: str
    retry: bool = False


Answer = Done | Rejected


@dataclass(frozen=True)
class Pace:
    """How fast a destination takes actions, shared by every worker (Slack about one message a
    second per channel; Linear an hourly budget). `scope` names the setting that tells
    destinations apart (a channel), or None for one pace per connection."""

    per_seconds: float
    count: int = 1
    scope: str | None = None


class Destination(Protocol):
    operations: frozenset[str]
    """The operations this connector performs; a recipe naming another is refused when saved."""
    batch_size: int
    """Actions one request carries (HubSpot 100, Salesforce 200); 1 for one request each."""
    pace: Pace | None

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        """Performs up to `batch_size` actions of one operation, in order; answers per action key.

        Raises the outbound failure classes when the whole request failed; never retries itself.
        """

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        """What an earlier attempt of this action created, found by its marker; else None.

        The outbox asks before re-performing an action whose earlier attempt may have reached the
        provider (its worker died between the answer and the commit); None where it cannot be asked.
        """

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        """The destination fields `operation` can write, read from the provider where its API lists
        them (HubSpot properties, Salesforce describe, Jira fields); None where it cannot say, and
        then any field name is accepted when a recipe is saved."""
