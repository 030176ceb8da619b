"""call_with_retries around official SDK calls (HubSpot over real HTTP, Salesforce exceptions)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from hubspot import HubSpot
from simple_salesforce.exceptions import SalesforceRefusedRequest
from urllib3.util.retry import Retry

from hub.outbound.failures import (
    RATE_LIMITED,
    ConfigError,
    ErrorResolution,
    TransientError,
    classify_exception,
)
from hub.outbound.retries import Policy, RetryStats, call_with_retries
from tests.http.conftest import TOKEN, LocalServer, Reply, closed_port

CONTACT = {
    "id": "51",
    "properties": {"email": "ana@example.com"},
    "createdAt": "2024-01-01T00:00:00Z",
    "updatedAt": "2024-01-02T00:00:00Z",
    "archived": False,
}


def hubspot_api(host: str) -> Any:
    """urllib3's default Retry already sleeps on a 429 with Retry-After; our layer must own retries."""
    no_retry = Retry(0, respect_retry_after_header=False)
    return HubSpot(access_token=TOKEN, host=host, retry=no_retry).crm.contacts.basic_api


def hubspot_get(server: LocalServer) -> Callable[[], Any]:
    api = hubspot_api(server.url)
    return lambda: api.get_by_id("51")


def test_call_with_retries_retries_a_hubspot_503(server: LocalServer, sleeps: list[float]) -> None:
    server.reply(Reply(503, {"status": "error", "message": "Service Unavailable"}), Reply(200, CONTACT))
    stats = RetryStats()
    contact = call_with_retries(
        hubspot_get(server), classify_exception, policy=Policy(sleep=sleeps.append, stats=stats)
    )
    assert contact is not None and contact.id == "51"
    assert contact.properties["email"] == "ana@example.com"
    assert stats.retries == 1
    assert len(sleeps) == 1
    assert [seen.path for seen in server.seen] == ["/crm/v3/objects/contacts/51"] * 2


def test_call_with_retries_honours_hubspot_retry_after(server: LocalServer, sleeps: list[float]) -> None:
    server.reply(
        Reply(
            429,
            {"status": "error", "message": "You have reached your ten_secondly_rolling limit."},
            {"Retry-After": "3"},
        ),
        Reply(200, CONTACT),
    )
    stats = RetryStats()
    call_with_retries(
        hubspot_get(server), classify_exception, policy=Policy(sleep=sleeps.append, stats=stats)
    )
    assert sleeps == [3.0]
    assert stats.rate_limited_waits == 1


def test_call_with_retries_fails_at_once_on_hubspot_401_without_leaking(
    server: LocalServer, sleeps: list[float]
) -> None:
    server.reply(Reply(401, {"status": "error", "message": f"token {TOKEN} is expired"}))
    with pytest.raises(ConfigError) as caught:
        call_with_retries(
            hubspot_get(server),
            classify_exception,
            what="hubspot get contact",
            secrets=[TOKEN],
            policy=Policy(sleep=sleeps.append),
        )
    assert caught.value.status == 401
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert str(caught.value).startswith("hubspot get contact: HTTP 401, credentials were rejected")
    assert "is expired" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert sleeps == []


def test_call_with_retries_reaches_hubspot_transport_errors(sleeps: list[float]) -> None:
    api = hubspot_api(f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(TransientError, match="could not connect"):
        call_with_retries(
            lambda: api.get_by_id("1"), classify_exception, policy=Policy(max_attempts=2, sleep=sleeps.append)
        )
    assert len(sleeps) == 1


def test_call_with_retries_salesforce_request_limit_override(sleeps: list[float]) -> None:
    limit = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    failures = deque([SalesforceRefusedRequest("https://sf/q", 403, "query", limit)])

    def query() -> str:
        if failures:
            raise failures.popleft()
        return "rows"

    def classify(exc: BaseException) -> ErrorResolution | None:
        if "REQUEST_LIMIT_EXCEEDED" in str(getattr(exc, "content", "")):
            return RATE_LIMITED
        return classify_exception(exc)

    stats = RetryStats()
    assert call_with_retries(query, classify, policy=Policy(sleep=sleeps.append, stats=stats)) == "rows"
    assert stats.rate_limited_waits == 1


def test_call_with_retries_lets_unclassified_exceptions_through() -> None:
    def broken() -> None:
        raise ValueError("a bug, not a provider failure")

    with pytest.raises(ValueError, match="a bug"):
        call_with_retries(broken, classify_exception)
