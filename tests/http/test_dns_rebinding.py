"""DNS rebinding: a name that is public when the guard looks it up and loopback when the transport does.

The resolver is stood in for by a function (socket.getaddrinfo is not our code) whose
answer depends on who asks: the guard's own lookup in hub.outbound.ssrf sees a public
address, every other lookup a moment later sees 127.0.0.1, where a real server listens.
That is rebinding with a zero TTL. No lookup is ever answered with the public address
except the guard's, so nothing here leaves the machine.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.intercom import fake as intercom_fake
from connectors.registry import get_connector
from hub.outbound import ConfigError, HttpClient, Policy, guarded_connection, outbound
from hub.outbound.scope import CONFIG_KEY
from tests.channels.conftest import invite
from tests.conftest import close_app, make_app
from tests.http.conftest import LocalServer

NAME = "rebind.test"
PUBLIC = "93.184.216.34"
GUARD = "hub.outbound.ssrf"


class Resolver:
    """Answers for NAME by caller: public to the guard, loopback to the transport; others as usual."""

    def __init__(self, real: Callable[..., Any], loopback_for_all: bool = False) -> None:
        self.real, self.loopback_for_all = real, loopback_for_all
        self.callers: list[str] = []

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME:
            return self.real(host, port, *args, **kwargs)
        caller = str(sys._getframe(1).f_globals.get("__name__"))
        self.callers.append(caller)
        address = PUBLIC if caller == GUARD and not self.loopback_for_all else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    answers = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", answers)
    return answers


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Nothing allowed, as for any address a user typed."""
    application = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", JOURNEYHUB_ALLOWED_HOSTS="")
    with application.app_context():
        yield application
    close_app(application)


REFUSED = f"refusing to call {NAME}: it connected to 127.0.0.1, which is loopback"


def test_our_client_refuses_the_address_it_actually_reached(resolver: Resolver, server: LocalServer) -> None:
    with HttpClient(f"http://{NAME}:{server.port}") as client, pytest.raises(ConfigError, match=REFUSED):
        client.request("GET", "/latest/meta-data/")
    assert server.seen == []
    assert resolver.callers[0] == GUARD and len(resolver.callers) == 2, "checked, then resolved again"


def test_the_session_handed_to_requests_based_sdks_refuses_it(
    app: Flask, resolver: Resolver, server: LocalServer
) -> None:
    with pytest.raises(ConfigError, match=REFUSED):
        outbound().session().get(f"http://{NAME}:{server.port}/services/data/", timeout=5)
    assert server.seen == []


def test_the_pool_manager_handed_to_urllib3_sdks_refuses_it(
    app: Flask, resolver: Resolver, server: LocalServer
) -> None:
    with pytest.raises(ConfigError, match=REFUSED):
        outbound().pool_manager().request("GET", f"http://{NAME}:{server.port}/crm/v3/lists")
    assert server.seen == []


def test_https_is_refused_before_the_handshake(resolver: Resolver) -> None:
    with intercom_fake.start(members=1, tls=True) as fake:
        port = fake.base_url.rsplit(":", 1)[1]
        client = HttpClient(f"https://{NAME}:{port}", verify=str(fake.ca_path))
        with client, pytest.raises(ConfigError, match=REFUSED):
            client.request("GET", "/segments")
        assert fake.request_count == 0


def test_a_delivery_channel_is_refused_too(app: Flask, resolver: Resolver, server: LocalServer) -> None:
    generic = get_connector("generic")
    assert generic.channel is not None
    config = generic.prepare_config({"url": f"http://{NAME}:{server.port}/hook"})
    config |= generic.generate_settings(config)
    with pytest.raises(ConfigError, match=REFUSED):
        generic.channel.send(config, invite())
    assert server.seen == []


def test_a_host_the_operator_allowed_by_name_is_reached(resolver: Resolver, server: LocalServer) -> None:
    policy = Policy(allowed_hosts=(NAME,), max_attempts=1)
    with HttpClient(f"http://{NAME}:{server.port}", policy) as client:
        assert client.request("GET", "/ok").status_code == 200
    assert [seen.path for seen in server.seen] == ["/ok"]


def test_an_address_allowed_by_number_does_not_admit_a_name_rebound_to_it(
    resolver: Resolver, server: LocalServer
) -> None:
    """Allowing 127.0.0.1 lets the fakes be reached by that address; another name landing there is still refused."""
    policy = Policy(allowed_hosts=("127.0.0.1",), max_attempts=1)
    with (
        HttpClient(f"http://{NAME}:{server.port}", policy) as client,
        pytest.raises(ConfigError, match=REFUSED),
    ):
        client.request("GET", "/x")
    assert server.seen == []


def test_smtp_resolves_once_and_connects_to_the_checked_address(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No second lookup, so no second answer: one resolution for a whole session, login and TLS included."""
    answers = Resolver(socket.getaddrinfo, loopback_for_all=True)
    monkeypatch.setattr(socket, "getaddrinfo", answers)
    email = get_connector("email")
    assert email.channel is not None
    with email.fake() as mail:
        config = email.prepare_config({**mail.credentials, "host": NAME})
        with pytest.raises(ConfigError, match=f"refusing to call {NAME}: it resolves to 127.0.0.1"):
            email.channel.send(config, invite())
        assert mail.messages() == []
        answers.callers.clear()
        app.config[CONFIG_KEY] = {"allowed_hosts": (NAME,)}
        email.channel.send(config, invite())
        assert len(mail.messages()) == 1
        assert answers.callers == [GUARD]


def test_a_guarded_connection_refuses_every_non_public_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(socket.getaddrinfo, loopback_for_all=True))
    with pytest.raises(ConfigError, match="loopback"):
        guarded_connection(NAME, 25, 1.0)
