"""Intercom: contacts, segments, tags and webhook notifications (X-Hub-Signature, sha1)."""

from __future__ import annotations

from connectors.base import Capability, ConfigField, Connector, ConnectorSpec
from connectors.intercom.webhook import IntercomWebhook


class IntercomConnector(Connector):
    spec = ConnectorSpec(
        name="intercom",
        title="Intercom",
        fields=(
            ConfigField(name="base_url", label="API address", default="https://api.intercom.io"),
            ConfigField(name="access_token", label="Access token", secret=True),
            ConfigField(
                name="client_secret",
                label="App client secret",
                secret=True,
                help="verifies webhook signatures",
            ),
        ),
        capabilities=frozenset({Capability.WEBHOOK}),
    )
    webhook = IntercomWebhook()


CONNECTOR = IntercomConnector()
