"""How a failed outbound call is understood: retry it, wait for the provider, or give up.

Modelled on the error-handling table of airbyte's Python CDK, cut down to what the hub needs.
Every connector shares one table so that "the token was rejected" or "the provider is busy"
reads the same in every run record, whichever system said it. Connectors adjust the table
(by status, or with a callable for providers that put errors in a 200 body) instead of
writing their own retry loops.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
import urllib3.exceptions


class ResponseAction(StrEnum):
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    FAIL = "fail"
    IGNORE = "ignore"


class FailureType(StrEnum):
    """Who has to act: the person who configured the connection, nobody (wait), or us."""

    CONFIG_ERROR = "config_error"
    TRANSIENT_ERROR = "transient_error"
    SYSTEM_ERROR = "system_error"


@dataclass(frozen=True)
class ErrorResolution:
    action: ResponseAction
    failure_type: FailureType | None
    message: str


def _fail_config(message: str) -> ErrorResolution:
    return ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, message)


def _retry(message: str) -> ErrorResolution:
    return ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, message)


CREDENTIALS_REJECTED = _fail_config("credentials were rejected")
RATE_LIMITED = ErrorResolution(
    ResponseAction.RATE_LIMITED, FailureType.TRANSIENT_ERROR, "the provider is rate limiting us"
)
IGNORE = ErrorResolution(ResponseAction.IGNORE, None, "ignored")

DEFAULT_STATUS_TABLE: Mapping[int, ErrorResolution] = {
    400: _fail_config("the provider rejected the request as malformed"),
    401: CREDENTIALS_REJECTED,
    403: CREDENTIALS_REJECTED,
    404: _fail_config("the provider has no such resource"),
    408: _retry("the provider timed out waiting for the request"),
    422: _fail_config("the provider could not process the request"),
    429: RATE_LIMITED,
    500: _retry("the provider had an internal error"),
    502: _retry("the provider's gateway failed"),
    503: _retry("the provider is unavailable"),
    504: _retry("the provider's gateway timed out"),
    529: _retry("the provider is overloaded"),
}

_CONNECT_FAILED = _retry("could not connect to the provider")
_TIMED_OUT = _retry("the provider did not answer in time")
_CONNECTION_DROPPED = _retry("the connection dropped mid-response")

# Looked up along the exception's MRO, so the most specific listed class wins
# (requests' ConnectTimeout is both a ConnectionError and a Timeout).
DEFAULT_EXCEPTION_TABLE: Mapping[type[BaseException], ErrorResolution] = {
    requests.ConnectTimeout: _TIMED_OUT,
    requests.ConnectionError: _CONNECT_FAILED,
    requests.Timeout: _TIMED_OUT,
    requests.exceptions.ChunkedEncodingError: _CONNECTION_DROPPED,
    urllib3.exceptions.NewConnectionError: _CONNECT_FAILED,
    urllib3.exceptions.MaxRetryError: _CONNECT_FAILED,
    urllib3.exceptions.TimeoutError: _TIMED_OUT,
    urllib3.exceptions.ProtocolError: _CONNECTION_DROPPED,
    ConnectionError: _CONNECT_FAILED,
    TimeoutError: _TIMED_OUT,
}

ResponseClassifier = Callable[[requests.Response], ErrorResolution | None]


def resolve_status(
    status: int, overrides: Mapping[int, ErrorResolution] | None = None
) -> ErrorResolution | None:
    """None means success; an unknown error status is our problem to look at, not a retry."""
    if overrides and status in overrides:
        return overrides[status]
    if status in DEFAULT_STATUS_TABLE:
        return DEFAULT_STATUS_TABLE[status]
    if status < 400:
        return None
    return ErrorResolution(ResponseAction.FAIL, FailureType.SYSTEM_ERROR, f"unexpected HTTP status {status}")


def classify_response(
    response: requests.Response,
    *,
    overrides: Mapping[int, ErrorResolution] | None = None,
    classify: ResponseClassifier | None = None,
) -> ErrorResolution | None:
    if classify is not None:
        resolution = classify(response)
        if resolution is not None:
            return resolution
    return resolve_status(response.status_code, overrides)


def resolve_exception(exc: BaseException) -> ErrorResolution | None:
    for cls in type(exc).__mro__:
        if cls in DEFAULT_EXCEPTION_TABLE:
            return DEFAULT_EXCEPTION_TABLE[cls]
    return None


def classify_exception(
    exc: BaseException, overrides: Mapping[int, ErrorResolution] | None = None
) -> ErrorResolution | None:
    """Default classifier for SDKs that own their transport.

    hubspot-api-client's ApiException and simple-salesforce's SalesforceError both carry the
    HTTP status as `.status`, so one status table serves them; transport failures they let
    through (urllib3, requests, socket errors) go through the exception table.
    """
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status > 0:
        return resolve_status(status, overrides)
    return resolve_exception(exc)


def provider_message(body: Any) -> str | None:
    """The provider's own explanation, in plain words, from the usual JSON error shapes."""
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        try:
            body = json.loads(text)
        except ValueError:
            if not text or text.startswith("<"):
                return None
            return _clip(" ".join(text.split()))
    found = _message_from(body)
    return _clip(found) if found else None


def _message_from(body: Any) -> str | None:
    if isinstance(body, list):
        parts = [_message_from(item) for item in body]
        joined = "; ".join(part for part in parts if part)
        return joined or None
    if not isinstance(body, dict):
        return None
    message = body.get("message")
    code = body.get("errorCode") or body.get("error_code")
    if isinstance(message, str) and message:
        return f"{code}: {message}" if isinstance(code, str) and code else message
    error = body.get("error")
    if isinstance(error, dict):
        return _message_from(error)
    if isinstance(error, str) and error:
        description = body.get("error_description")
        return f"{error}: {description}" if isinstance(description, str) and description else error
    errors = body.get("errors")
    if isinstance(errors, list):
        return _message_from(errors)
    return None


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HttpError(Exception):
    """A classified outbound failure whose text is safe to log and to show in a run record."""

    def __init__(
        self,
        text: str,
        *,
        resolution: ErrorResolution,
        status: int | None = None,
        provider_message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(text)
        self.resolution = resolution
        self.status = status
        self.provider_message = provider_message
        self.retry_after = retry_after

    @property
    def failure_type(self) -> FailureType | None:
        return self.resolution.failure_type

    @property
    def retryable(self) -> bool:
        return self.resolution.action in (ResponseAction.RETRY, ResponseAction.RATE_LIMITED)


class ConfigError(HttpError):
    """Retrying cannot help; a person has to fix the connection's settings."""


class TransientError(HttpError):
    """The provider or the network failed; the same call may succeed later."""


class RateLimited(TransientError):
    """The provider refused for now; `retry_after` says when it will accept again."""


def error_for(
    resolution: ErrorResolution,
    where: str,
    *,
    status: int | None = None,
    provider_message: str | None = None,
    retry_after: float | None = None,
    detail: str | None = None,
) -> HttpError:
    """Builds the matching exception; every text passed in must already be scrubbed."""
    if resolution.action is ResponseAction.RATE_LIMITED:
        cls: type[HttpError] = RateLimited
    elif resolution.failure_type is FailureType.CONFIG_ERROR:
        cls = ConfigError
    elif resolution.action is ResponseAction.RETRY or resolution.failure_type is FailureType.TRANSIENT_ERROR:
        cls = TransientError
    else:
        cls = HttpError
    text = (
        f"{where}: {resolution.message}"
        if status is None
        else f"{where}: HTTP {status}, {resolution.message}"
    )
    if provider_message:
        text += f" (provider said: {provider_message})"
    if detail:
        text += f" ({detail})"
    return cls(
        text,
        resolution=resolution,
        status=status,
        provider_message=provider_message,
        retry_after=retry_after,
    )
