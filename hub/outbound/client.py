"""The HTTP client connectors share: every call guarded, classified, retried and scrubbed.

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
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests

from hub.outbound import direct
from hub.outbound.failures import (
    ErrorResolution,
    FailureType,
    ResponseAction,
    ResponseClassifier,
    classify_response,
    error_for,
    provider_message,
    resolve_exception,
)
from hub.outbound.guard import guarded_session
from hub.outbound.retries import Policy, RetryStats, cause, retrying
from hub.outbound.scrub import SCRUBBER, scrub
from hub.outbound.waits import WaitHint, retry_after_seconds

log = logging.getLogger(__name__)

_SECRET_HEADER = re.compile(r"(?i)authorization|api[-_]?key|token|secret|password")


@dataclass(frozen=True)
class ErrorTable:
    """A provider's corrections to the shared failure table, and its own rate-limit header."""

    status_overrides: Mapping[int, ErrorResolution] | None = None
    classify: ResponseClassifier | None = None
    """For providers that put errors in a 200 body (Slack) or reuse a status (Salesforce's 403)."""
    wait_hint: WaitHint | None = None


class HttpClient:
    """A `requests.Session` wrapper that connectors share; one per connection and run.

    The session's transport is the SSRF guard (hub.outbound.guard), so every request and
    every redirect hop is checked. Redirects are followed by hand so that secret-bearing
    headers are dropped when a redirect leaves the original host.
    A path is appended to `base_url`; an absolute URL is used as it is.
    """

    def __init__(
        self,
        base_url: str,
        policy: Policy | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        auth: requests.auth.AuthBase | tuple[str, str] | None = None,
        secrets: Iterable[str] = (),
        verify: str | bool = True,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        errors: ErrorTable | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.policy = policy or Policy()
        self._errors = errors or ErrorTable()
        self._session = guarded_session(self.policy.allowed_hosts)
        self._session.verify = verify
        self._session.headers.update(headers or {})
        self._session.auth = auth
        self._secrets = tuple({*secrets, *self._header_secrets(headers or {}), *self._auth_secrets(auth)})
        SCRUBBER.add(*self._secrets)
        self._retrying = retrying(self.policy)

    @property
    def stats(self) -> RetryStats:
        return self.policy.stats

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

    def post_once(self, path_or_url: str, body: bytes, headers: Mapping[str, str]) -> requests.Response:
        """One POST, not retried, redirects not followed, classified as `request` classifies.

        For the outbox, which retries on its own schedule: it goes over the guarded pool without
        the requests session around it (hub.outbound.direct), a fifth of a webhook's CPU.
        """
        url = self.url_for(path_or_url)
        response = self._send(
            "POST",
            url,
            lambda: direct.send(
                self._session, "POST", url, body, headers, self.timeout, self.policy.allowed_hosts
            ),
        )
        return self._judged("POST", url, response)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _attempt(self, method: str, url: str, follow: bool, kwargs: dict[str, Any]) -> requests.Response:
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
                partial(
                    self._session.send, hop, allow_redirects=False, timeout=kwargs["timeout"], **settings
                ),
            )
        return self._judged(method, url, response)

    def _judged(self, method: str, url: str, response: requests.Response) -> requests.Response:
        """The response, unless the error table says it is a failure: then that failure, scrubbed."""
        errors = self._errors
        resolution = classify_response(response, overrides=errors.status_overrides, classify=errors.classify)
        if resolution is None or resolution.action is ResponseAction.IGNORE:
            return response
        message = provider_message(response.content)
        raise error_for(
            resolution,
            self._where(method, response.url or url),
            status=response.status_code,
            provider_message=scrub(message, self._secrets) if message else None,
            retry_after=retry_after_seconds(
                response.headers,
                rate_limited=resolution.action is ResponseAction.RATE_LIMITED,
                hint=errors.wait_hint,
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
            raise error_for(resolution, self._where(method, url), detail=cause(exc, self._secrets)) from None
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
