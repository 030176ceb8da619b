"""`HttpClient.post_once`, the outbox's one-attempt POST over the guarded pool without a requests
session: whatever happens, it reports what `request` reports for the same call.

Every case runs against a real server on loopback (plain, TLS with a self-signed certificate, one
that answers late, a closed port) and compares the two paths.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server, make_ssl_devcert

from hub.outbound.client import HttpClient
from hub.outbound.failures import HttpError
from tests.http.conftest import LocalServer, Reply, closed_port, local_client

BODY = b'{"event":"invite"}'
JSON = {"Content-Type": "application/json"}


def outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """What a caller can tell apart: the status answered, or the failure's kind, status and wait."""
    try:
        response = call()
    except HttpError as exc:
        return (type(exc).__name__, exc.resolution.action, exc.status, exc.retry_after)
    return ("answered", response.status_code, response.content)


def both_ways(client: HttpClient, url: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    ordinary = outcome(lambda: client.request("POST", url, data=BODY, headers=JSON, allow_redirects=False))
    once = outcome(lambda: client.post_once(url, BODY, JSON))
    return ordinary, once


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"ok": True}),
        Reply(204, ""),
        Reply(302, "", {"Location": "/elsewhere"}),
        Reply(400, {"message": "bad"}),
        Reply(429, {"message": "slow down"}, {"Retry-After": "7"}),
        Reply(503, "down"),
    ],
    ids=["200", "204", "302", "400", "429", "503"],
)
def test_an_answer_is_reported_as_the_ordinary_path_reports_it(server: LocalServer, reply: Reply) -> None:
    server.reply(reply, reply)
    with local_client(server.url, [], max_attempts=1) as client:
        ordinary, once = both_ways(client, f"{server.url}/in")
    assert once == ordinary
    assert [seen.path for seen in server.seen] == ["/in", "/in"]  # a redirect is not followed


def test_the_body_goes_with_the_client_s_headers_and_credentials(server: LocalServer) -> None:
    with local_client(server.url, [], headers={"X-Team": "growth"}, auth=("hub", "s3cret-pass")) as client:
        response = client.post_once("/in", BODY, {**JSON, "webhook-id": "inv_1"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    (seen,) = server.seen
    assert (seen.method, seen.path) == ("POST", "/in")
    assert seen.headers["X-Team"] == "growth"
    assert seen.headers["Webhook-Id"] == "inv_1"
    assert seen.headers["Content-Length"] == str(len(BODY))
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(b"hub:s3cret-pass").decode()
    assert seen.headers["User-Agent"].startswith("python-requests/")


def test_a_receiver_that_answers_late_and_one_that_is_not_there_fail_alike(server: LocalServer) -> None:
    server.reply(Reply(delay_s=1.0), Reply(delay_s=1.0))
    with local_client(server.url, [], max_attempts=1, timeout=(1.0, 0.2)) as client:
        late = both_ways(client, f"{server.url}/in")
        gone = both_ways(client, f"http://127.0.0.1:{closed_port()}/in")
    assert late[0] == late[1] and late[0][2] is None
    assert gone[0] == gone[1] and gone[0][2] is None


def test_an_address_the_guard_refuses_is_never_connected(server: LocalServer) -> None:
    with local_client(server.url, [], allowed_hosts=()) as client:
        ordinary, once = both_ways(client, f"{server.url}/in")
    assert once == ordinary and once[0] != "answered"
    assert server.seen == []


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real HTTPS server for `localhost` whose certificate nobody signed; its URL and certificate."""

    def app(_environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        start("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    certificate, key = make_ssl_devcert(str(tmp_path / "receiver"), host="localhost")
    server = make_server("127.0.0.1", 0, app, ssl_context=(certificate, key))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"https://localhost:{server.server_port}/in", certificate
    server.shutdown()
    server.server_close()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify=False, on purpose
def test_tls_is_verified_as_requests_verifies_it(
    tls_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same certificates are trusted: none for a self-signed one, the one `REQUESTS_CA_BUNDLE`
    names, or any when the client does not verify."""
    url, certificate = tls_server
    answered = ("answered", 200, b"{}")
    with local_client(url, [], max_attempts=1, allowed_hosts=("localhost",)) as client:
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        ordinary, once = both_ways(client, url)
        assert once == ordinary and once[0] != "answered"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate)
    with local_client(url, [], max_attempts=1, allowed_hosts=("localhost",)) as client:
        assert both_ways(client, url) == (answered, answered)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with local_client(url, [], max_attempts=1, allowed_hosts=("localhost",), verify=False) as trusting:
        assert both_ways(trusting, url) == (answered, answered)


def test_a_request_for_a_proxy_goes_through_the_proxy(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proxies are the session's business: such a request takes the ordinary path."""
    with LocalServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        with local_client(server.url, []) as client:
            assert client.post_once(f"{server.url}/in", BODY, JSON).status_code == 200
    assert len(proxy.seen) == 1 and server.seen == []
