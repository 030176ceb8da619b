"""Intercom: contacts, segments, tags and webhook notifications (X-Hub-Signature, sha1); invites as messages."""

from __future__ import annotations

from typing import Any

from connectors.intercom.client import MAX_PER_PAGE, IntercomClient
from connectors.intercom.fake import start as start_fake
from connectors.intercom.kinds import INTERCOM_CONTACT
from connectors.intercom.messages import MESSAGE_TYPES, IntercomChannel
from connectors.intercom.source import IntercomSource
from connectors.intercom.webhook import IntercomWebhook
from connectors.sdk import Capability, CheckResult, ConfigField, Connector, ConnectorSpec, FieldType, check
from connectors.sdk.fakes.server import FakeServer


class IntercomConnector(Connector):
    spec = ConnectorSpec(
        name="intercom",
        title="Intercom",
        fields=(
            ConfigField(
                name="base_url", label="API address", type=FieldType.URL, default="https://api.intercom.io"
            ),
            ConfigField(name="access_token", label="Access token", secret=True, required=True),
            ConfigField(
                name="client_secret",
                label="App client secret",
                secret=True,
                help="verifies webhook signatures",
            ),
            ConfigField(
                name="page_size",
                label="Contacts per request",
                type=FieldType.INTEGER,
                default=MAX_PER_PAGE,
                minimum=1,
                maximum=MAX_PER_PAGE,
            ),
            ConfigField(
                name="admin_id",
                label="Sending admin's id",
                help="the teammate invites come from; when empty, the admin the access token belongs to",
            ),
            ConfigField(
                name="message_type",
                label="Invite as",
                choices=MESSAGE_TYPES,
                default="email",
                help="email, or inapp for a message shown in your product",
            ),
        ),
        capabilities=frozenset({Capability.WEBHOOK, Capability.SOURCE, Capability.DESTINATION}),
        identity_kinds=(INTERCOM_CONTACT,),
    )
    webhook = IntercomWebhook()
    source = IntercomSource()
    channel = IntercomChannel()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return check(IntercomClient(config).probe)

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, members=members, seed=seed)


CONNECTOR = IntercomConnector()
