"""HubSpot: contacts, lists and CRM webhooks (signature v3, verified with the app's client secret);
result actions write interview results into contact properties."""

from __future__ import annotations

from typing import Any

from connectors.hubspot.client import MAX_MEMBERSHIP_PAGE, HubSpotClient
from connectors.hubspot.fake import start as start_fake
from connectors.hubspot.fields import HubSpotFields
from connectors.hubspot.kinds import HUBSPOT_CONTACT
from connectors.hubspot.source import HubSpotSource
from connectors.hubspot.webhook import HubSpotWebhook
from connectors.sdk import Capability, CheckResult, ConfigField, Connector, ConnectorSpec, FieldType, check
from connectors.sdk.fakes.server import FakeServer


class HubSpotConnector(Connector):
    spec = ConnectorSpec(
        name="hubspot",
        title="HubSpot",
        fields=(
            ConfigField(
                name="base_url", label="API address", type=FieldType.URL, default="https://api.hubapi.com"
            ),
            ConfigField(
                name="access_token", label="Private app or OAuth access token", secret=True, required=True
            ),
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
                type=FieldType.URL,
                help="only when a proxy changes the address HubSpot signed",
            ),
            ConfigField(
                name="page_size",
                label="List members per request",
                type=FieldType.INTEGER,
                default=MAX_MEMBERSHIP_PAGE,
                minimum=1,
                maximum=MAX_MEMBERSHIP_PAGE,
            ),
        ),
        capabilities=frozenset({Capability.WEBHOOK, Capability.SOURCE, Capability.ACTIONS}),
        identity_kinds=(HUBSPOT_CONTACT,),
    )
    webhook = HubSpotWebhook()
    source = HubSpotSource()
    actions = HubSpotFields()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return check(HubSpotClient(config).probe)

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, members=members, seed=seed)


CONNECTOR = HubSpotConnector()
