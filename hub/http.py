"""The one outbound HTTP layer: every connector call is guarded, classified, retried and scrubbed here.

Keeping this in one place is what lets a run record say "3 retries, 1 rate-limit wait" for any
provider, lets an operator trust that a user-typed URL cannot reach the metadata service, and
lets us promise that a token never reaches a log line or an error message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from hub.http_errors import (
    ErrorResolution,
    FailureType,
    HttpError,
    ResponseAction,
    ResponseClassifier,
    classify_response,
    error_for,
    provider_message,
    resolve_exception,
    retry_after_seconds,
)
from hub.scrub import SCRUBBER, scrub
from hub.ssrf import check_outbound_url

log = logging.getLogger(__name__)
T = TypeVar("T")

# --- retry policy ----------------------------------------------------------------------------


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


def _retrying(
    *,
    max_attempts: int,
    max_wait_s: float,
    sleep: Callable[[float], None],
    stats: RetryStats,
    on_retry: Callable[[RetryEvent], None] | None,
) -> Retrying:
    """Waits what the provider asked for when it said, otherwise backs off exponentially with jitter."""
    backoff = wait_exponential_jitter(initial=1, max=max_wait_s, jitter=1)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, HttpError) and error.retry_after is not None:
            return min(error.retry_after, max_wait_s)
        return backoff(state)

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if not isinstance(error, HttpError):
            return
        wait_s = state.upcoming_sleep
        stats.retries += 1
        stats.waited_s += wait_s
        if error.resolution.action is ResponseAction.RATE_LIMITED:
            stats.rate_limited_waits += 1
        log.info(
            "retrying in %.1f s (attempt %d of %d failed): %s",
            wait_s,
            state.attempt_number,
            max_attempts,
            error,
        )
        if on_retry is not None:
            on_retry(RetryEvent(attempt=state.attempt_number, wait_s=wait_s, error=error))

    return Retrying(
        stop=stop_after_attempt(max_attempts),
        wait=wait,
        retry=retry_if_exception(lambda exc: isinstance(exc, HttpError) and exc.retryable),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def _cause(exc: BaseException, secrets: Iterable[str]) -> str:
    text = scrub(f"{type(exc).__name__}: {exc}", secrets)
    return text if len(text) <= 300 else text[:299] + "…"


def call_with_retries(
    fn: Callable[[], T],
    classify: Callable[[BaseException], ErrorResolution | None],
    *,
    what: str = "SDK call",
    secrets: Iterable[str] = (),
    max_attempts: int = 5,
    max_wait_s: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[RetryEvent], None] | None = None,
    stats: RetryStats | None = None,
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
            raise _sdk_error(exc, resolution, what, secrets) from None

    retrying = _retrying(
        max_attempts=max_attempts,
        max_wait_s=max_wait_s,
        sleep=sleep,
        stats=stats if stats is not None else RetryStats(),
        on_retry=on_retry,
    )
    return retrying(attempt)


def _sdk_error(exc: Exception, resolution: ErrorResolution, what: str, secrets: tuple[str, ...]) -> HttpError:
    status = getattr(exc, "status", None)
    headers = getattr(exc, "headers", None)
    body = getattr(exc, "body", None) or getattr(exc, "content", None)
    message = provider_message(body)
    return error_for(
        resolution,
        scrub(what, secrets),
        status=status if isinstance(status, int) and status > 0 else None,
        provider_message=scrub(message, secrets) if message else None,
        retry_after=retry_after_seconds(headers, rate_limited=resolution.action is ResponseAction.RATE_LIMITED)
        if isinstance(headers, Mapping)
        else None,
        detail=None if isinstance(status, int) and status > 0 else _cause(exc, secrets),
    )


# --- the client ------------------------------------------------------------------------------

_SECRET_HEADER = re.compile(r"(?i)authorization|api[-_]?key|token|secret|password")


class HttpClient:
    """A `requests.Session` wrapper that connectors share; one per connection and run.

    Redirects are followed by hand so that every hop passes the SSRF guard and so that
    secret-bearing headers are dropped when a redirect leaves the original host.
    A path is appended to `base_url`; an absolute URL is used as it is.
    """

    def __init__(
        self,
        base_url: str,
        *,
        secrets: Iterable[str] = (),
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_attempts: int = 5,
        max_wait_s: float = 60.0,
        verify: str | bool = True,
        headers: Mapping[str, str] | None = None,
        auth: requests.auth.AuthBase | tuple[str, str] | None = None,
        status_overrides: Mapping[int, ErrorResolution] | None = None,
        classify: ResponseClassifier | None = None,
        allowed_hosts: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.allowed_hosts = tuple(allowed_hosts)
        self.stats = RetryStats()
        self._overrides = status_overrides
        self._classify = classify
        self._session = requests.Session()
        self._session.verify = verify
        self._session.headers.update(headers or {})
        self._session.auth = auth
        self._secrets = tuple({*secrets, *self._header_secrets(headers or {}), *self._auth_secrets(auth)})
        SCRUBBER.add(*self._secrets)
        self._retrying = _retrying(
            max_attempts=max_attempts, max_wait_s=max_wait_s, sleep=sleep, stats=self.stats, on_retry=on_retry
        )

    @staticmethod
    def _header_secrets(headers: Mapping[str, str]) -> list[str]:
        """`Bearer abc` is registered as `abc` too, since the token alone can surface in an echo."""
        values = [value for name, value in headers.items() if _SECRET_HEADER.search(name)]
        return values + [value.split()[-1] for value in values if value.split()]

    @staticmethod
    def _auth_secrets(auth: object) -> list[str]:
        return [str(auth[1])] if isinstance(auth, tuple) and len(auth) == 2 else []

    @property
    def retries(self) -> int:
        return self.stats.retries

    @property
    def rate_limited_waits(self) -> int:
        return self.stats.rate_limited_waits

    def url_for(self, path_or_url: str) -> str:
        if urlsplit(path_or_url).scheme:
            return path_or_url
        if not path_or_url:
            return self.base_url
        return f"{self.base_url.rstrip('/')}/{path_or_url.lstrip('/')}"

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        """Sends with retries; returns the response unless the table says FAIL or attempts run out.

        Accepts `requests.Session.request` keyword arguments.
        """
        url = self.url_for(path_or_url)
        follow = kwargs.pop("allow_redirects", True)
        kwargs.setdefault("timeout", self.timeout)
        return self._retrying(self._attempt, method.upper(), url, follow, kwargs)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _attempt(self, method: str, url: str, follow: bool, kwargs: dict[str, Any]) -> requests.Response:
        check_outbound_url(url, self.allowed_hosts)
        response = self._send(
            method, url, lambda: self._session.request(method, url, allow_redirects=False, **kwargs)
        )
        hops = 0
        while follow and response.is_redirect and response.next is not None:
            hops += 1
            if hops > self._session.max_redirects:
                raise error_for(_TOO_MANY_REDIRECTS, self._where(method, url))
            hop = response.next
            response.close()
            hop_url = str(hop.url)
            check_outbound_url(hop_url, self.allowed_hosts)
            if urlsplit(hop_url).netloc != urlsplit(url).netloc:
                self._drop_secret_headers(hop)
            settings = self._session.merge_environment_settings(
                hop_url,
                kwargs.get("proxies") or {},
                kwargs.get("stream"),
                kwargs.get("verify"),
                kwargs.get("cert"),
            )
            response = self._send(
                str(hop.method),
                hop_url,
                lambda hop=hop, settings=settings: self._session.send(
                    hop, allow_redirects=False, timeout=kwargs["timeout"], **settings
                ),
            )
        resolution = classify_response(response, overrides=self._overrides, classify=self._classify)
        if resolution is None or resolution.action is ResponseAction.IGNORE:
            return response
        message = provider_message(response.content)
        raise error_for(
            resolution,
            self._where(method, response.url or url),
            status=response.status_code,
            provider_message=scrub(message, self._secrets) if message else None,
            retry_after=retry_after_seconds(
                response.headers, rate_limited=resolution.action is ResponseAction.RATE_LIMITED
            ),
        )

    def _send(self, method: str, url: str, send: Callable[[], requests.Response]) -> requests.Response:
        started = time.monotonic()
        try:
            response = send()
        except requests.RequestException as exc:
            sent = getattr(exc.request, "url", None) or url
            log.debug("%s %s -> %s after %d ms", method, sent, type(exc).__name__, _ms_since(started))
            resolution = resolve_exception(exc) or _REQUEST_FAILED
            raise error_for(resolution, self._where(method, url), detail=_cause(exc, self._secrets)) from None
        log.debug("%s %s -> %s in %d ms", method, response.url, response.status_code, _ms_since(started))
        return response

    def _drop_secret_headers(self, request: requests.PreparedRequest) -> None:
        for name, value in list(request.headers.items()):
            if _SECRET_HEADER.search(name) or scrub(value, self._secrets) != value:
                del request.headers[name]

    def _where(self, method: str, url: str) -> str:
        return f"{method} {scrub(url, self._secrets)}"


_TOO_MANY_REDIRECTS = ErrorResolution(ResponseAction.FAIL, FailureType.SYSTEM_ERROR, "too many redirects")
_REQUEST_FAILED = ErrorResolution(
    ResponseAction.FAIL, FailureType.SYSTEM_ERROR, "the request could not be sent"
)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
