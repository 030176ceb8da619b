"""Anthropic: Claude synthesises interviews (recipes.insights); this folder holds its fake.

Claude is set up by ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL), not by a connection, so the
connector declares no settings and refuses to be added as one; `journeyhub fake anthropic`
runs the Messages API imitation that tests and the demo point the SDK at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.anthropic.fake import start as start_fake
from connectors.sdk import ConfigProblem, Connector, ConnectorSpec
from connectors.sdk.fakes.server import FakeServer


class AnthropicConnector(Connector):
    spec = ConnectorSpec(name="anthropic", title="Anthropic Claude (interview synthesis)")

    def prepare_config(self, values: Mapping[str, Any]) -> dict[str, Any]:
        raise ConfigProblem(
            {"connector": "Claude is set up by ANTHROPIC_API_KEY in the environment, not as a connection"}
        )

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, members=0, seed=seed)


CONNECTOR = AnthropicConnector()
