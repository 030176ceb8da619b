"""A provider's failure during an API call, answered in the error shape with its message scrubbed.

Which side has to act decides the status: settings the provider rejects are the
connection's to fix (409, `provider_rejected`); a provider that is down or busy is a bad
gateway (502) or unavailable (503, with Retry-After when it said how long to wait).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from hub.errors import ApiError
from hub.outbound import ConfigError, HttpError, RateLimited, RetryStats, TransientError
from hub.outbound.scrub import scrub


def provider_error(exc: HttpError, secrets: Iterable[str], stats: RetryStats) -> ApiError:
    message = scrub(str(exc), secrets)
    details = {"provider_status": exc.status, "retries": stats.retries}
    if isinstance(exc, ConfigError):
        return ApiError(409, "provider_rejected", message, details)
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(math.ceil(exc.retry_after))} if exc.retry_after is not None else {}
        return ApiError(503, "provider_rate_limited", message, details, headers)
    if isinstance(exc, TransientError):
        return ApiError(502, "provider_unavailable", message, details)
    return ApiError(502, "provider_error", message, details)
