"""Slack: findings and interview results posted as Block Kit messages, by bot token or incoming webhook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import (
    Capability,
    CheckResult,
    ConfigField,
    ConfigProblem,
    Connector,
    ConnectorSpec,
    FieldType,
    check,
)
from connectors.sdk.fakes.server import FakeServer
from connectors.slack.client import API_URL, auth_test
from connectors.slack.fake import start as start_fake
from connectors.slack.messages import SlackActions


class SlackConnector(Connector):
    spec = ConnectorSpec(
        name="slack",
        title="Slack",
        fields=(
            ConfigField(
                name="bot_token",
                label="Bot token (xoxb-…)",
                secret=True,
                help="a Slack app's bot token with the chat:write scope; or use a webhook URL instead",
            ),
            ConfigField(
                name="channel",
                label="Channel",
                help="where messages go (#research or a channel id); a recipe's action may name another",
            ),
            ConfigField(
                name="webhook_url",
                label="Incoming webhook URL",
                type=FieldType.URL,
                secret=True,
                help="instead of a bot token: posts to the one channel Slack bound the URL to",
            ),
            ConfigField(name="base_url", label="Web API address", type=FieldType.URL, default=API_URL),
            ConfigField(
                name="ca_bundle",
                label="CA bundle path",
                help="only for an address behind a private certificate authority",
            ),
        ),
        capabilities=frozenset({Capability.ACTIONS}),
    )
    actions = SlackActions()

    def prepare_config(self, values: Mapping[str, Any]) -> dict[str, Any]:
        config = super().prepare_config(values)
        if bool(config.get("bot_token")) == bool(config.get("webhook_url")):
            problem = "set either a bot token or an incoming webhook URL, not both"
            raise ConfigProblem({"bot_token": problem, "webhook_url": problem})
        if config.get("bot_token") and not str(config["bot_token"]).startswith("xox"):
            raise ConfigProblem({"bot_token": "must be a Slack token (xoxb-…)"})
        return config

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        if config.get("webhook_url"):
            return CheckResult(
                ok=True, message="an incoming webhook can only be tried by posting; nothing sent"
            )
        return check(lambda: auth_test(config))

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, seed=seed)


CONNECTOR = SlackConnector()
