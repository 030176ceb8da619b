"""What a failed send means for its row, read from the shared failure classes of hub.outbound.

- `RateLimited`: wait what the provider said (`Retry-After` or its reset header), else back off;
- `TransientError` (5xx, timeouts, dropped connections) and anything unexpected: back off on
  the schedule (1 min, 5 min, 30 min, 2 h, 6 h, with jitter), `dead` after the last attempt;
- `ConfigError` and any other classified refusal (4xx, a bad address, an unexpected status):
  `failed` at once, since sending the same thing again cannot help until a person acts.

Rate limits say nothing about the message, only about the pace, so they do not use up the
schedule's attempts; they have a larger bound of their own so a row cannot wait forever.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app

from hub.models.delivery import DEAD, FAILED, PENDING, SENT
from hub.outbound import HttpError, RateLimited, TransientError
from hub.outbox.types import Outcome, Refused, Retry, Sent

log = logging.getLogger(__name__)
CONFIG_KEY = "JOURNEYHUB_OUTBOX"
"""`app.config[CONFIG_KEY]` may override any field of `Policy` (tests and the bench do)."""


@dataclass(frozen=True)
class Policy:
    schedule_s: tuple[float, ...] = (60, 300, 1800, 7200, 21600)
    """Waits after the 1st, 2nd, ... failed attempt; one more attempt than waits, then `dead`."""
    jitter: float = 0.2
    """Each wait is stretched or shrunk by up to this share, so a burst of failures spreads out."""
    rate_limited_attempts: int = 25
    lease_s: float = 300.0
    """How long a claimed row is a worker's; must outlast one send (clients time out within 35 s)."""
    batch: int = 100
    """Rows claimed at once; also the most that can be sent and not yet marked when a worker dies."""
    threads: int = 8
    """Sends in flight at once within one batch."""
    budget_s: float = 10.0
    """How long one drain job runs before it hands over to a fresh job (other jobs queue behind it)."""

    @property
    def max_attempts(self) -> int:
        return len(self.schedule_s) + 1


def policy() -> Policy:
    settings = current_app.config["JOURNEYHUB"]
    found = Policy(lease_s=float(settings.journeyhub_outbox_lease_s))
    return replace(found, **(current_app.config.get(CONFIG_KEY) or {}))


def classify(exc: BaseException) -> Outcome:
    """The outcome a send's exception stands for; the text is already scrubbed by hub.outbound."""
    if isinstance(exc, RateLimited):
        return Retry(str(exc), after_s=exc.retry_after, rate_limited=True)
    if isinstance(exc, TransientError):
        return Retry(str(exc))
    if isinstance(exc, HttpError):
        return Refused(str(exc), code=exc.failure_type.value if exc.failure_type else "refused")
    log.exception("an outbox send failed unexpectedly")
    return Retry(f"unexpected {type(exc).__name__}: {exc}"[:500])


@dataclass(frozen=True)
class Transition:
    status: str
    next_attempt_at: datetime | None


def transition(outcome: Outcome, attempt: int, now: datetime, rules: Policy) -> Transition:
    """The row's next status and, for a retry, when it is due again."""
    if isinstance(outcome, Sent):
        return Transition(SENT, None)
    if isinstance(outcome, Refused):
        return Transition(FAILED, None)
    limit = rules.rate_limited_attempts if outcome.rate_limited else rules.max_attempts
    if attempt >= limit:
        return Transition(DEAD, None)
    if outcome.after_s is not None:
        wait = outcome.after_s
    else:
        base = rules.schedule_s[min(attempt, len(rules.schedule_s)) - 1] if rules.schedule_s else 0.0
        wait = base * random.uniform(1 - rules.jitter, 1 + rules.jitter)  # noqa: S311 - spreading, not secrecy
    return Transition(PENDING, now + timedelta(seconds=max(wait, 0.0)))
