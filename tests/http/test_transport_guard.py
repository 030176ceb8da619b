"""The SSRF guard lives in the transports: official SDKs cannot skip it, redirects included.

Each client is built the way its connector builds it, inside an app whose allow-list is the
test's, and pointed at a real loopback server; the server's log proves whether a request left.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.hubspot.client import HubSpotClient
from connectors.intercom.client import IntercomClient
from connectors.salesforce.client import SalesforceClient
from hub.outbound import ConfigError, RetryStats, outbound, outbound_scope
from hub.outbound.guard import guarded_session
from tests.conftest import close_app, make_app
from tests.http.conftest import LocalServer, Reply

LISTS = {"lists": [], "hasMore": False, "offset": 0, "total": 0}


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Flask]:
    """An app whose allow-list is empty: loopback is refused, as for any user-typed URL."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", JOURNEYHUB_ALLOWED_HOSTS="")
    yield app
    close_app(app)


@pytest.fixture
def allowed(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", JOURNEYHUB_ALLOWED_HOSTS="127.0.0.1")
    yield app
    close_app(app)


def hubspot_lists(config: dict[str, Any]) -> Any:
    return HubSpotClient(config).lists(0, 1)


def salesforce_count(config: dict[str, Any]) -> Any:
    return SalesforceClient(config).probe()


@pytest.mark.parametrize("call", [hubspot_lists, salesforce_count], ids=["hubspot-sdk", "simple-salesforce"])
def test_an_sdk_cannot_reach_a_refused_address(guarded: Flask, server: LocalServer, call: Any) -> None:
    config = {"base_url": server.url, "access_token": "t0ken-value", "api_version": "59.0"}
    with guarded.app_context(), pytest.raises(ConfigError, match="refusing to call 127.0.0.1"):
        call(config)
    assert server.seen == []


def test_the_urllib3_transport_refuses_a_redirect_to_a_private_address(
    allowed: Flask, server: LocalServer
) -> None:
    """What openapi-generated SDKs (hubspot-api-client) are handed; urllib3 re-enters urlopen per hop."""
    server.reply(Reply(302, "", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    with allowed.app_context(), pytest.raises(ConfigError, match="refusing to call 169.254.169.254"):
        outbound().pool_manager().request("GET", server.url + "/start")
    assert [seen.path for seen in server.seen] == ["/start"]


def test_the_requests_transport_refuses_a_redirect_to_a_private_address(
    allowed: Flask, server: LocalServer
) -> None:
    """What requests-based SDKs (simple-salesforce) are handed: the adapter checks every hop it sends."""
    server.reply(Reply(307, "", {"Location": "http://10.0.0.7/services/data/v59.0/query/"}))
    with allowed.app_context(), pytest.raises(ConfigError, match="refusing to call 10.0.0.7"):
        outbound().session().get(server.url + "/start", timeout=5)
    assert [seen.path for seen in server.seen] == ["/start"]


def test_an_allowed_sdk_call_goes_through_and_counts_its_retries_once(
    allowed: Flask, server: LocalServer
) -> None:
    server.reply(Reply(503, {"message": "busy"}), Reply(200, LISTS))
    stats = RetryStats()
    config = {"base_url": server.url, "access_token": "t0ken-value"}
    with allowed.app_context():
        allowed.config["JOURNEYHUB_OUTBOUND"] = {"sleep": lambda _s: None}
        with outbound_scope(stats):
            lists, more = hubspot_lists(config)
    assert (lists, more) == ([], False)
    assert (stats.retries, len(server.seen)) == (1, 2)


def test_our_client_counts_a_retry_once_into_the_scope(allowed: Flask, server: LocalServer) -> None:
    server.reply(Reply(500, {"message": "boom"}), Reply(200, {"segments": []}))
    stats = RetryStats()
    with allowed.app_context():
        allowed.config["JOURNEYHUB_OUTBOUND"] = {"sleep": lambda _s: None}
        with outbound_scope(stats):
            client = IntercomClient({"base_url": server.url, "access_token": "t0ken-value"})
            assert client.segments() == []
            assert client.http.stats is stats
    assert stats.retries == 1


def test_the_environment_s_proxies_are_read_once_per_host_and_still_obeyed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The guarded session reads the proxy settings once per host (requests would read them for
    every request); what it reads is what requests would, `NO_PROXY` included."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    session = guarded_session(["*"])
    via = session.merge_environment_settings("https://api.example/a", {}, None, None, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://other.internal:3128")
    again = session.merge_environment_settings("https://api.example/b?x=1", {}, None, None, None)
    direct = session.merge_environment_settings("https://direct.example/a", {}, None, None, None)
    assert via["proxies"].get("https") == again["proxies"].get("https") == "http://proxy.internal:3128"
    assert "https" not in direct["proxies"]
    assert (
        guarded_session(["*"])
        .merge_environment_settings("https://api.example/a", {}, None, None, None)["proxies"]
        .get("https")
        == "http://other.internal:3128"
    )  # a new session reads the environment anew
