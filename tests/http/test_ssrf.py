"""The outbound address guard, on its own and inside HttpClient (including redirects)."""

from __future__ import annotations

import pytest

from hub.outbound.client import HttpClient
from hub.outbound.failures import ConfigError
from hub.outbound.ssrf import check_outbound_url
from tests.http.conftest import TOKEN, LocalServer, Reply, local_client


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
