"""The classification table, exception classification, and the header and body parsers."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
import requests

from connectors.hubspot.client import window_wait
from hub.outbound.failures import (
    ConfigError,
    ErrorResolution,
    FailureType,
    HttpError,
    RateLimited,
    ResponseAction,
    TransientError,
    classify_exception,
    provider_message,
    resolve_status,
)
from hub.outbound.waits import retry_after_seconds


@pytest.mark.parametrize(
    ("status", "action", "failure"),
    [
        (401, ResponseAction.FAIL, FailureType.CONFIG_ERROR),
        (403, ResponseAction.FAIL, FailureType.CONFIG_ERROR),
        (400, ResponseAction.FAIL, FailureType.CONFIG_ERROR),
        (404, ResponseAction.FAIL, FailureType.CONFIG_ERROR),
        (422, ResponseAction.FAIL, FailureType.CONFIG_ERROR),
        (408, ResponseAction.RETRY, FailureType.TRANSIENT_ERROR),
        (429, ResponseAction.RATE_LIMITED, FailureType.TRANSIENT_ERROR),
        (500, ResponseAction.RETRY, FailureType.TRANSIENT_ERROR),
        (502, ResponseAction.RETRY, FailureType.TRANSIENT_ERROR),
        (503, ResponseAction.RETRY, FailureType.TRANSIENT_ERROR),
        (504, ResponseAction.RETRY, FailureType.TRANSIENT_ERROR),
        (529, ResponseAction.RETRY, FailureType.TRANSIENT_ERROR),
        (409, ResponseAction.FAIL, FailureType.SYSTEM_ERROR),
    ],
)
def test_default_table(status: int, action: ResponseAction, failure: FailureType) -> None:
    resolution = resolve_status(status)
    assert resolution is not None
    assert (resolution.action, resolution.failure_type) == (action, failure)


def test_success_statuses_are_not_errors() -> None:
    assert resolve_status(200) is None
    assert resolve_status(204) is None
    assert classify_exception(requests.ConnectionError("refused")) == ErrorResolution(
        ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "could not connect to the provider"
    )
    assert classify_exception(requests.ReadTimeout("slow")) == ErrorResolution(
        ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the provider did not answer in time"
    )
    assert classify_exception(ValueError("not ours")) is None


NOW = 1_750_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True)}, 30.0),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"X-RateLimit-Reset": str(int(NOW) + 7)}, 7.0),
        ({"X-RateLimit-Requests-Reset": str(int(NOW * 1000) + 4000)}, 4.0),
        ({"X-RateLimit-Reset": "30"}, 30.0),
        ({"X-RateLimit-Reset": datetime.fromtimestamp(NOW + 12, UTC).isoformat()}, 12.0),
        ({"X-RateLimit-Reset": str(int(NOW) - 5)}, 0.0),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float) -> None:
    assert retry_after_seconds(headers, now=NOW) == pytest.approx(expected)


def test_a_provider_hint_reads_its_own_header_when_the_common_ones_are_silent() -> None:
    headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    assert retry_after_seconds(headers, now=NOW) is None
    assert retry_after_seconds(headers, now=NOW, hint=window_wait) == pytest.approx(10.0)
    assert retry_after_seconds({**headers, "Retry-After": "3"}, now=NOW, hint=window_wait) == pytest.approx(
        3.0
    )


def test_retry_after_seconds_is_none_when_the_provider_did_not_say() -> None:
    assert retry_after_seconds({"Content-Type": "application/json", "Retry-After": "soon"}, now=NOW) is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"message": "Invalid token"}', "Invalid token"),
        ('{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}', "Overloaded"),
        (
            {"errors": [{"message": "Field x missing", "extensions": {"code": "RATELIMITED"}}]},
            "Field x missing",
        ),
        (
            [{"message": "Session expired", "errorCode": "INVALID_SESSION_ID"}],
            "INVALID_SESSION_ID: Session expired",
        ),
        ('{"ok": false, "error": "channel_not_found"}', "channel_not_found"),
        ('{"error": "invalid_grant", "error_description": "expired"}', "invalid_grant: expired"),
        ("invalid_payload", "invalid_payload"),
        ("<html><body>Bad Gateway</body></html>", None),
        ("", None),
        ({"status": "error"}, None),
    ],
)
def test_provider_message_shapes(body: Any, expected: str | None) -> None:
    assert provider_message(body) == expected


def test_errors_are_one_family() -> None:
    assert issubclass(ConfigError, HttpError)
    assert issubclass(RateLimited, TransientError)
    assert issubclass(TransientError, HttpError)
