"""Every delivery channel, found through the registry, keeps the same promises against its own fake.

A connector that declares Capability.DESTINATION is held to these tests without being
named here: it has a channel and a fake, delivers one invite to the fake, answers a
lookup with nothing or the receipt it gave, and refuses loopback unless it is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from connectors.registry import all_connectors, get_connector, with_capability, with_fake
from connectors.sdk import Capability, ConfigError, Receipt, Recipient
from connectors.sdk.fakes.server import FakeServer
from tests.channels.conftest import invite

DESTINATIONS = sorted(with_capability(Capability.DESTINATION))


@pytest.fixture(params=DESTINATIONS)
def destination(request: pytest.FixtureRequest) -> Iterator[tuple[str, FakeServer]]:
    fake = get_connector(request.param).fake(members=3, seed=4)
    assert fake is not None, f"{request.param} delivers invites but has no fake"
    yield str(request.param), fake
    fake.stop()


def someone(fake: FakeServer) -> Recipient:
    """A person the fake's system knows, when it knows people at all."""
    population = fake.population
    email = next(
        (p.email for i in range(population.total) if (p := population.person(i)).email), "ada@example.com"
    )
    return Recipient(profile_id=1, email=email, name="Ada")


def config_for(name: str, fake: FakeServer) -> dict[str, Any]:
    return get_connector(name).prepare_config(fake.credentials)


def test_the_three_channels_are_found_through_the_registry() -> None:
    assert {"email", "generic", "intercom"} <= set(DESTINATIONS) <= set(with_fake())


@pytest.mark.parametrize("name", sorted(all_connectors()))
def test_a_channel_is_declared_exactly_when_there_is_one(name: str) -> None:
    connector = get_connector(name)
    assert (connector.channel is not None) == (Capability.DESTINATION in connector.spec.capabilities)


def test_each_delivers_to_its_fake_and_answers_a_lookup(
    outbound_app: Flask, destination: tuple[str, FakeServer]
) -> None:
    name, fake = destination
    channel = get_connector(name).channel
    assert channel is not None
    config, message = config_for(name, fake), invite(1, recipient=someone(fake))
    receipt = channel.send(config, message)
    assert isinstance(receipt, Receipt)
    again = channel.lookup(config, message)
    assert again is None or again.provider_id == receipt.provider_id
    secrets = [str(config[k]) for k in get_connector(name).spec.secret_fields if config.get(k)]
    assert secrets and not any(secret in repr(receipt) for secret in secrets)


def test_each_refuses_loopback_unless_allowed(
    guarded_app: Flask, destination: tuple[str, FakeServer]
) -> None:
    name, fake = destination
    channel = get_connector(name).channel
    assert channel is not None
    with pytest.raises(ConfigError, match="refusing to call 127.0.0.1"):
        channel.send(config_for(name, fake), invite(1, recipient=someone(fake)))
