"""HubSpot: contacts, lists and CRM webhooks (signature v3, verified with the app's client secret)."""

from __future__ import annotations

from typing import Any

from connectors.base import Capability, CheckResult, ConfigField, Connector, ConnectorSpec
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.source import HubSpotSource
from connectors.hubspot.webhook import HubSpotWebhook


class HubSpotConnector(Connector):
    spec = ConnectorSpec(
        name="hubspot",
        title="HubSpot",
        fields=(
            ConfigField(name="base_url", label="API address", default="https://api.hubapi.com"),
            ConfigField(name="access_token", label="Private app or OAuth access token", secret=True),
            ConfigField(
                name="client_secret",
                label="App client secret",
                secret=True,
                help="verifies webhook signatures",
            ),
            ConfigField(
                name="properties",
                label="Contact properties to read",
                default="email,firstname,lastname,lifecyclestage",
                help="comma-separated HubSpot property names kept as profile traits",
            ),
            ConfigField(
                name="webhook_url",
                label="Webhook URL as HubSpot calls it",
                help="only when a proxy changes the address HubSpot signed",
            ),
            ConfigField(name="page_size", label="List members per request", default=250, help="at most 250"),
        ),
        capabilities=frozenset({Capability.WEBHOOK, Capability.SOURCE}),
    )
    webhook = HubSpotWebhook()
    source = HubSpotSource()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return HubSpotClient(config).check()


CONNECTOR = HubSpotConnector()
