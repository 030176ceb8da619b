"""One retry policy for every outbound call: wait what the provider asked, else back off; count once.

Shared by the HTTP client and by official SDKs that own their transport, so "3 retries,
1 rate-limit wait" means the same in every run record whichever way a connector calls out.
Retries are counted in one place, the policy's `stats`, which a sync hands in and reads back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from hub.outbound.failures import ErrorResolution, HttpError, ResponseAction, error_for, provider_message
from hub.outbound.scrub import SCRUBBER, scrub
from hub.outbound.waits import WaitHint, retry_after_seconds

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RetryStats:
    """Figures a sync run copies into its run record."""

    retries: int = 0
    rate_limited_waits: int = 0
    waited_s: float = 0.0


@dataclass(frozen=True)
class RetryEvent:
    attempt: int
    wait_s: float
    error: HttpError


@dataclass(frozen=True)
class Policy:
    """Where calls may go, how often and how long they retry, and where the retries are counted."""

    allowed_hosts: tuple[str, ...] = ()
    max_attempts: int = 5
    max_wait_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    stats: RetryStats = field(default_factory=RetryStats)
    on_retry: Callable[[RetryEvent], None] | None = None
    """Told of each retry after it is counted (tests and progress displays listen here)."""


def retrying(policy: Policy) -> Retrying:
    """Waits what the provider asked for when it said, otherwise backs off exponentially with jitter."""
    backoff = wait_exponential_jitter(initial=1, max=policy.max_wait_s, jitter=1)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, HttpError) and error.retry_after is not None:
            return min(error.retry_after, policy.max_wait_s)
        return float(backoff(state))

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if not isinstance(error, HttpError):
            return
        wait_s = state.upcoming_sleep
        stats = policy.stats
        stats.retries += 1
        stats.waited_s += wait_s
        if error.resolution.action is ResponseAction.RATE_LIMITED:
            stats.rate_limited_waits += 1
        log.info(
            "retrying in %.1f s (attempt %d of %d failed): %s",
            wait_s,
            state.attempt_number,
            policy.max_attempts,
            error,
        )
        if policy.on_retry is not None:
            policy.on_retry(RetryEvent(attempt=state.attempt_number, wait_s=wait_s, error=error))

    return Retrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=retry_if_exception(lambda exc: isinstance(exc, HttpError) and exc.retryable),
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def cause(exc: BaseException, secrets: Iterable[str]) -> str:
    text = scrub(f"{type(exc).__name__}: {exc}", secrets)
    return text if len(text) <= 300 else text[:299] + "…"


def call_with_retries(
    fn: Callable[[], T],
    classify: Callable[[BaseException], ErrorResolution | None],
    *,
    what: str = "SDK call",
    secrets: Iterable[str] = (),
    policy: Policy | None = None,
    wait_hint: WaitHint | None = None,
) -> T | None:
    """Runs an official SDK call under the same table and policy as `HttpClient`.

    The SDK's exception is replaced (not chained) by a scrubbed `HttpError`, because SDK
    exceptions print raw response headers and bodies. `classify` returning None means the
    exception is not a transport failure and it propagates untouched; IGNORE returns None.
    """
    secrets = tuple(secrets)
    SCRUBBER.add(*secrets)

    def attempt() -> T | None:
        try:
            return fn()
        except HttpError:
            raise
        except Exception as exc:
            resolution = classify(exc)
            if resolution is None:
                raise
            if resolution.action is ResponseAction.IGNORE:
                return None
            raise _sdk_error(exc, resolution, what, secrets, wait_hint) from None

    return retrying(policy or Policy())(attempt)


def _sdk_error(
    exc: Exception, resolution: ErrorResolution, what: str, secrets: tuple[str, ...], hint: WaitHint | None
) -> HttpError:
    status = getattr(exc, "status", None)
    headers = getattr(exc, "headers", None)
    body = getattr(exc, "body", None) or getattr(exc, "content", None)
    message = provider_message(body)
    rate_limited = resolution.action is ResponseAction.RATE_LIMITED
    return error_for(
        resolution,
        scrub(what, secrets),
        status=status if isinstance(status, int) and status > 0 else None,
        provider_message=scrub(message, secrets) if message else None,
        retry_after=retry_after_seconds(headers, rate_limited=rate_limited, hint=hint)
        if isinstance(headers, Mapping)
        else None,
        detail=None if isinstance(status, int) and status > 0 else cause(exc, secrets),
    )
