"""How long a provider asked us to wait, read from the headers of its answer.

Providers disagree on units: `Retry-After` is seconds or an HTTP date, Anthropic adds
`retry-after-ms`, reset headers are epoch seconds (Intercom), epoch ms (Linear), ISO 8601
(Jira) or a plain delta. The common forms are read here; a provider with a form of its own
(HubSpot's window length) passes a `WaitHint` from its connector folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

WaitHint = Callable[[Mapping[str, str]], float | None]
"""A provider's own reading of its rate-limit headers (lower-cased names), in seconds."""

_RESET_HEADERS = (
    "x-ratelimit-reset",
    "x-rate-limit-reset",
    "ratelimit-reset",
    "x-ratelimit-requests-reset",
)
_EPOCH_S = 1_000_000_000  # 2001-09-09: larger reset values are absolute times, not deltas
_EPOCH_MS = 1_000_000_000_000


def retry_after_seconds(
    headers: Mapping[str, str] | None,
    now: float | None = None,
    *,
    rate_limited: bool = True,
    hint: WaitHint | None = None,
) -> float | None:
    """How long the provider asked us to wait, in seconds, or None if it did not say.

    Rate-limit reset headers ride on every response of some providers (Intercom), so they
    only speak for a rate-limited answer; a 5xx that carries them still backs off normally.
    `hint` reads a provider's own header when none of the common ones said anything.
    """
    if not headers:
        return None
    lower = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    now = time.time() if now is None else now
    if (value := number(lower.get("retry-after-ms"))) is not None:
        return max(value / 1000, 0.0)
    if "retry-after" in lower:
        value = number(lower["retry-after"])
        if value is not None:
            return max(value, 0.0)
        if (when := _date(lower["retry-after"])) is not None:
            return max(when - now, 0.0)
    if not rate_limited:
        return None
    for name in _RESET_HEADERS:
        if name in lower and (wait := _reset_wait(lower[name], now)) is not None:
            return wait
    if hint is not None and (wait := hint(lower)) is not None:
        return max(wait, 0.0)
    return None


def _reset_wait(raw: str, now: float) -> float | None:
    value = number(raw)
    if value is None:
        when = _date(raw)
        return None if when is None else max(when - now, 0.0)
    if value >= _EPOCH_MS:
        return max(value / 1000 - now, 0.0)
    if value >= _EPOCH_S:
        return max(value - now, 0.0)
    return max(value, 0.0)


def number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _date(raw: str) -> float | None:
    """Dates without a zone are read as UTC, as HTTP dates are by definition."""
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
