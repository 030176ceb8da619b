"""The shared outbound HTTP layer, exercised against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce.exceptions import SalesforceRefusedRequest
from urllib3.util.retry import Retry
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from hub.http import HttpClient, RetryEvent, RetryStats, call_with_retries
from hub.http_errors import (
    CREDENTIALS_REJECTED,
    RATE_LIMITED,
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
    retry_after_seconds,
)
from hub.scrub import SecretScrubber, scrub
from hub.ssrf import check_outbound_url

TOKEN = "pat-na1-5f3c2e9a-token-value"


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]


class LocalServer:
    """A real WSGI server whose next replies each test scripts; it records what it received."""

    def __init__(self) -> None:
        self.script: deque[Reply | Callable[[Request], Reply]] = deque()
        self.seen: list[Seen] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def reply(self, *replies: Reply | Callable[[Request], Reply]) -> None:
        self.script.extend(replies)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append(
            Seen(request.method, request.path, request.query_string.decode(), dict(request.headers))
        )
        scripted = self.script.popleft() if self.script else Reply()
        reply = scripted(request) if callable(scripted) else scripted
        time.sleep(reply.delay_s)
        body = reply.body if isinstance(reply.body, str | bytes) else json.dumps(reply.body)
        return Response(body, status=reply.status, headers=reply.headers)(environ, start_response)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(server: LocalServer, sleeps: list[float]) -> Iterator[HttpClient]:
    with local_client(server.url, sleeps, headers={"Authorization": f"Bearer {TOKEN}"}) as made:
        yield made


def local_client(url: str, sleeps: list[float], **options: Any) -> HttpClient:
    """Allowed to reach the loopback test server; records the waits it asks for instead of sleeping."""
    options.setdefault("allowed_hosts", ["127.0.0.1"])
    return HttpClient(url, sleep=sleeps.append, **options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- HttpClient over real HTTP -----------------------------------------------------------------


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


# --- secrets ---------------------------------------------------------------------------------


def test_secrets_never_reach_logs_or_errors(
    server: LocalServer, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    path_secret = "B0123/XyZsecretWebhookPath"

    def echo(request: Request) -> Reply:
        said = f"bad token {request.headers.get('Authorization')} / {request.headers.get('X-Api-Key')} at {request.url}"
        return Reply(401, {"error": {"type": "authentication_error", "message": said}})

    server.reply(Reply(500, "boom"), echo)
    caplog.set_level(logging.DEBUG)
    for name in ("hub", "urllib3"):  # an app or an SDK used earlier may have set these loggers' levels
        caplog.set_level(logging.DEBUG, logger=name)
    with (
        local_client(
            server.url,
            sleeps,
            secrets=[path_secret],
            headers={"Authorization": f"Bearer {TOKEN}", "X-Api-Key": TOKEN},
        ) as c,
        pytest.raises(ConfigError) as caught,
    ):
        c.request("GET", f"/services/T0/{path_secret}", params={"api_key": TOKEN, "token": TOKEN})
    assert server.seen[1].headers["X-Api-Key"] == TOKEN
    assert "bad token" in str(caught.value)
    ours = [record for record in caplog.records if record.name != "werkzeug"]  # the server's own access log
    logged = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in ours)
    for text in (logged, str(caught.value), repr(caught.value.args), caught.value.provider_message or ""):
        assert TOKEN not in text
        assert path_secret not in text
    assert "retrying in" in logged
    assert "api_key=***" in logged
    assert any(record.name == "urllib3.connectionpool" for record in ours)
    assert any(record.name == "hub.http" and record.levelno == logging.DEBUG for record in ours)


def test_scrub_masks_credential_shapes() -> None:
    text = (
        "GET https://user:hunter2pass@api.example.com/x?api_key=abc123&limit=5&access_token=zzz "
        "Authorization: Basic dXNlcjpwYXNz; header Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"
    )
    masked = scrub(text, ["limit-not-a-secret-xyz"])
    for leaked in ("hunter2pass", "abc123", "zzz", "dXNlcjpwYXNz", "eyJhbGciOiJIUzI1NiJ9"):
        assert leaked not in masked
    assert "limit=5" in masked
    assert scrub("value is s3cr3t%2Fv and s3cr3t/v", ["s3cr3t/v"]) == "value is *** and ***"


def test_secret_scrubber_filter_masks_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.scrubbed")
    scrubber = SecretScrubber(["first-secret-1"])
    scrubber.add("second-secret-2")
    logger.addFilter(scrubber)
    try:
        with caplog.at_level(logging.INFO, logger="tests.scrubbed"):
            logger.info("calling with %s and %r", "first-secret-1", {"k": "second-secret-2"})
            try:
                raise ValueError("failed with second-secret-2")
            except ValueError:
                logger.exception("oops")
    finally:
        logger.removeFilter(scrubber)
    assert "first-secret-1" not in caplog.text
    assert "second-secret-2" not in caplog.text
    assert "calling with *** and {'k': '***'}" in caplog.text
    assert "ValueError: failed with ***" in caplog.text


# --- SSRF guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1/", "127.0.0.1"),
        ("http://10.0.0.1/admin", "10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:8080/", "::1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
        ("http://localhost:5000/", "localhost"),
        ("http://0.0.0.0/", "0.0.0.0"),  # noqa: S104 - a URL under test, nothing binds to it
        ("https://192.168.1.20/", "192.168.1.20"),
        ("http://224.0.0.1/", "224.0.0.1"),
    ],
)
def test_guard_refuses_internal_addresses(url: str, host: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_outbound_url(url)
    assert f"refusing to call {host}" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/x", ["127.0.0.1"]),
        ("http://127.0.0.1:8080/x", ["127.0.0.1:8080"]),
        ("http://[::1]:8080/", ["[::1]:8080"]),
        ("http://localhost:5000/", ["LocalHost"]),
        ("https://93.184.216.34/", []),
    ],
)
def test_guard_allows_public_or_allow_listed(url: str, allowed: list[str]) -> None:
    check_outbound_url(url, allowed)


def test_guard_allow_list_port_must_match() -> None:
    with pytest.raises(ConfigError):
        check_outbound_url("http://127.0.0.1:9999/", ["127.0.0.1:8080"])


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://93.184.216.34/", "//93.184.216.34/x"])
def test_guard_refuses_other_schemes(url: str) -> None:
    with pytest.raises(ConfigError, match="only http and https"):
        check_outbound_url(url)


def test_client_refuses_loopback_without_allow_list(server: LocalServer) -> None:
    with HttpClient(server.url) as c, pytest.raises(ConfigError, match="refusing to call 127.0.0.1"):
        c.request("GET", "/x")
    assert server.seen == []


def test_redirect_to_a_private_address_is_refused(server: LocalServer, client: HttpClient) -> None:
    server.reply(Reply(302, "", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    with pytest.raises(ConfigError, match="refusing to call 169.254.169.254"):
        client.request("GET", "/start")
    assert len(server.seen) == 1
    assert client.retries == 0


def test_redirects_are_followed_and_cross_host_hops_lose_secret_headers(
    server: LocalServer, sleeps: list[float]
) -> None:
    other = f"http://localhost:{server.port}/elsewhere"
    server.reply(Reply(302, "", {"Location": "/moved"}), Reply(307, "", {"Location": other}), Reply(200))
    with local_client(
        server.url,
        sleeps,
        headers={"Authorization": f"Bearer {TOKEN}", "X-Api-Key": TOKEN, "X-Plain": "kept"},
        allowed_hosts=["127.0.0.1", f"localhost:{server.port}"],
    ) as c:
        response = c.request("GET", "/start")
    assert response.status_code == 200
    assert [seen.path for seen in server.seen] == ["/start", "/moved", "/elsewhere"]
    assert server.seen[1].headers["X-Api-Key"] == TOKEN
    assert "Authorization" not in server.seen[2].headers
    assert "X-Api-Key" not in server.seen[2].headers
    assert server.seen[2].headers["X-Plain"] == "kept"


# --- official SDKs ---------------------------------------------------------------------------

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
    contact = call_with_retries(hubspot_get(server), classify_exception, sleep=sleeps.append, stats=stats)
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
    call_with_retries(hubspot_get(server), classify_exception, sleep=sleeps.append, stats=stats)
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
            sleep=sleeps.append,
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
        call_with_retries(lambda: api.get_by_id("1"), classify_exception, max_attempts=2, sleep=sleeps.append)
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
    assert call_with_retries(query, classify, sleep=sleeps.append, stats=stats) == "rows"
    assert stats.rate_limited_waits == 1


def test_call_with_retries_lets_unclassified_exceptions_through() -> None:
    def broken() -> None:
        raise ValueError("a bug, not a provider failure")

    with pytest.raises(ValueError, match="a bug"):
        call_with_retries(broken, classify_exception)


# --- the table and the parsers ---------------------------------------------------------------


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
        ({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, 10.0),
        ({"X-RateLimit-Reset": str(int(NOW) - 5)}, 0.0),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float) -> None:
    assert retry_after_seconds(headers, now=NOW) == pytest.approx(expected)


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
