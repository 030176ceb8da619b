"""HttpClient over real HTTP: successes, retries and backoff, rate-limit waits, failing at once."""

from __future__ import annotations

import time

import pytest
import requests

from hub.outbound.client import HttpClient
from hub.outbound.failures import (
    CREDENTIALS_REJECTED,
    RATE_LIMITED,
    ConfigError,
    ErrorResolution,
    FailureType,
    RateLimited,
    ResponseAction,
    TransientError,
)
from hub.outbound.retries import RetryEvent
from tests.http.conftest import TOKEN, LocalServer, Reply, closed_port, local_client


def test_success_passes_through(server: LocalServer, client: HttpClient) -> None:
    server.reply(Reply(body={"results": [1, 2]}, headers={"X-Trace": "abc"}))
    response = client.request("get", "/crm/v3/lists/7/memberships", params={"limit": 2})
    assert response.status_code == 200
    assert response.json() == {"results": [1, 2]}
    assert response.headers["X-Trace"] == "abc"
    assert server.seen[0].path == "/crm/v3/lists/7/memberships"
    assert server.seen[0].query == "limit=2"
    assert server.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert client.retries == 0


def test_server_errors_are_retried_with_backoff(server: LocalServer, sleeps: list[float]) -> None:
    events: list[RetryEvent] = []
    server.reply(Reply(500), Reply(502), Reply(200, {"done": True}))
    with local_client(server.url, sleeps, on_retry=events.append) as c:
        assert c.request("POST", "jobs", json={"a": 1}).json() == {"done": True}
        assert c.retries == 2
        assert c.rate_limited_waits == 0
    assert len(server.seen) == 3
    assert len(sleeps) == 2 and all(0 < wait <= 60 for wait in sleeps)
    assert [event.attempt for event in events] == [1, 2]
    assert [event.error.status for event in events] == [500, 502]
    assert all(isinstance(event.error, TransientError) for event in events)


def test_429_waits_what_retry_after_says(
    server: LocalServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.reply(Reply(429, {"message": "slow down"}, {"Retry-After": "2"}), Reply(200))
    assert client.request("GET", "/x").status_code == 200
    assert sleeps == [2.0]
    assert client.retries == 1
    assert client.rate_limited_waits == 1
    assert client.stats.waited_s == 2.0


def test_429_waits_until_x_ratelimit_reset_epoch(
    server: LocalServer, client: HttpClient, sleeps: list[float]
) -> None:
    reset = int(time.time()) + 7
    server.reply(Reply(429, {"message": "limit"}, {"X-RateLimit-Reset": str(reset)}), Reply(200))
    assert client.request("GET", "/x").status_code == 200
    assert len(sleeps) == 1
    assert 5.0 < sleeps[0] <= 7.0


def test_server_error_backs_off_although_a_reset_header_rides_along(
    server: LocalServer, client: HttpClient, sleeps: list[float]
) -> None:
    """Intercom sends X-RateLimit-Reset on every answer; only a 429 means "wait until then"."""
    reset = int(time.time()) + 40
    server.reply(Reply(500, {"message": "oops"}, {"X-RateLimit-Reset": str(reset)}), Reply(200))
    assert client.request("GET", "/x").status_code == 200
    assert len(sleeps) == 1
    assert sleeps[0] < 5.0


def test_rate_limit_wait_is_capped_and_gives_up_as_rate_limited(
    server: LocalServer, sleeps: list[float]
) -> None:
    server.reply(*[Reply(429, {"message": "daily limit"}, {"Retry-After": "3600"})] * 2)
    with (
        local_client(server.url, sleeps, max_attempts=2, max_wait_s=60) as c,
        pytest.raises(RateLimited) as caught,
    ):
        c.request("GET", "/x")
    assert sleeps == [60]
    assert caught.value.retry_after == 3600
    assert caught.value.status == 429
    assert caught.value.failure_type is FailureType.TRANSIENT_ERROR
    assert "daily limit" in str(caught.value)


def test_401_fails_at_once_with_the_providers_message(
    server: LocalServer, client: HttpClient, sleeps: list[float]
) -> None:
    server.reply(Reply(401, {"status": "error", "message": "Authentication credentials not found"}))
    with pytest.raises(ConfigError) as caught:
        client.request("GET", "/crm/v3/objects/contacts")
    error = caught.value
    assert error.status == 401
    assert error.failure_type is FailureType.CONFIG_ERROR
    assert error.provider_message == "Authentication credentials not found"
    assert "credentials were rejected" in str(error)
    assert "Authentication credentials not found" in str(error)
    assert len(server.seen) == 1
    assert sleeps == []
    assert client.retries == 0


def test_connection_refused_is_transient_after_max_attempts(sleeps: list[float]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with local_client(url, sleeps, max_attempts=3) as c:
        with pytest.raises(TransientError) as caught:
            c.request("GET", "/x")
        assert c.retries == 2
    assert "could not connect" in str(caught.value)
    assert caught.value.status is None
    assert len(sleeps) == 2


def test_read_timeout_is_transient(server: LocalServer, sleeps: list[float]) -> None:
    server.reply(Reply(delay_s=1.0), Reply(delay_s=1.0))
    with (
        local_client(server.url, sleeps, timeout=(2.0, 0.2), max_attempts=2) as c,
        pytest.raises(TransientError) as caught,
    ):
        c.request("GET", "/slow")
    assert "did not answer in time" in str(caught.value)
    assert len(server.seen) == 2
    assert len(sleeps) == 1


def test_salesforce_request_limit_403_can_be_classified_as_rate_limited(
    server: LocalServer, sleeps: list[float]
) -> None:
    def salesforce(response: requests.Response) -> ErrorResolution | None:
        if response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in response.text:
            return RATE_LIMITED
        return None

    limit = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    denied = [{"message": "insufficient access rights", "errorCode": "INSUFFICIENT_ACCESS"}]
    server.reply(Reply(403, limit), Reply(200, {"done": True}), Reply(403, denied))
    with local_client(server.url, sleeps, classify=salesforce) as c:
        assert c.request("GET", "/services/data/v59.0/query").json() == {"done": True}
        assert c.rate_limited_waits == 1
        with pytest.raises(ConfigError) as caught:
            c.request("GET", "/services/data/v59.0/query")
    assert caught.value.provider_message == "INSUFFICIENT_ACCESS: insufficient access rights"


def test_error_in_a_200_body_can_be_classified(server: LocalServer, sleeps: list[float]) -> None:
    def slack(response: requests.Response) -> ErrorResolution | None:
        body = response.json()
        if body.get("ok") is False:
            return CREDENTIALS_REJECTED if body["error"] == "invalid_auth" else RATE_LIMITED
        return None

    server.reply(Reply(200, {"ok": False, "error": "invalid_auth"}))
    with local_client(server.url, sleeps, classify=slack) as c, pytest.raises(ConfigError) as caught:
        c.request("POST", "/api/chat.postMessage", json={"text": "hi"})
    assert caught.value.status == 200
    assert caught.value.provider_message == "invalid_auth"


def test_status_overrides_replace_the_default_row(server: LocalServer, sleeps: list[float]) -> None:
    server.reply(Reply(404, {"message": "gone"}))
    ignore = ErrorResolution(ResponseAction.IGNORE, None, "already deleted")
    with local_client(server.url, sleeps, status_overrides={404: ignore}) as c:
        assert c.request("DELETE", "/contacts/1").status_code == 404
