"""Intercom: contacts, segments, tags and webhook notifications (X-Hub-Signature, sha1)."""

from __future__ import annotations

from typing import Any

from connectors.base import Capability, CheckResult, ConfigField, Connector, ConnectorSpec
from connectors.intercom.client import MAX_PER_PAGE, IntercomClient
from connectors.intercom.source import IntercomSource
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
            ConfigField(name="page_size", label="Contacts per request", default=MAX_PER_PAGE, help="at most 150"),
        ),
        capabilities=frozenset({Capability.WEBHOOK, Capability.SOURCE}),
    )
    webhook = IntercomWebhook()
    source = IntercomSource()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return IntercomClient(config).check()


CONNECTOR = IntercomConnector()
