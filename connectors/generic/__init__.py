"""Generic: any system that sends or receives Standard Webhooks-signed JSON.

Inbound, it accepts signed events at /hooks/generic/<id>; with a `url`, it also delivers
invites there, signed with the same secret (the `webhook` channel of a campaign), and result
actions (`post_message`: a finding or result as a signed event).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.generic.actions import WebhookActions
from connectors.generic.fake import GenericFake
from connectors.generic.fake import start as start_fake
from connectors.generic.sender import DEFAULT_TIMEOUT_S, WebhookChannel
from connectors.generic.webhook import GenericWebhook
from connectors.sdk import Capability, ConfigField, ConfigProblem, Connector, ConnectorSpec, FieldType
from connectors.sdk import standard_webhooks as signature


class GenericConnector(Connector):
    spec = ConnectorSpec(
        name="generic",
        title="Generic signed webhook",
        fields=(
            ConfigField(
                name="secret",
                label="Signing secret (whsec_…)",
                secret=True,
                help="Standard Webhooks secret; generated and shown once when left empty",
            ),
            ConfigField(
                name="url",
                label="Delivery address",
                type=FieldType.URL,
                help="invites are POSTed here, signed with the secret; leave empty for an inbound-only connection",
            ),
            ConfigField(
                name="timeout_s",
                label="Seconds to wait for the receiver's answer",
                type=FieldType.INTEGER,
                default=DEFAULT_TIMEOUT_S,
                minimum=1,
                maximum=60,
            ),
        ),
        capabilities=frozenset({Capability.WEBHOOK, Capability.DESTINATION, Capability.ACTIONS}),
    )
    webhook = GenericWebhook()
    channel = WebhookChannel()
    actions = WebhookActions()

    def prepare_config(self, values: Mapping[str, Any]) -> dict[str, Any]:
        config = super().prepare_config(values)
        if config.get("secret"):
            try:
                signature.secret_key(str(config["secret"]))
            except ValueError as exc:
                raise ConfigProblem({"secret": str(exc)}) from None
        return config

    def generate_settings(self, config: dict[str, Any]) -> dict[str, Any]:
        return {} if config.get("secret") else {"secret": signature.new_secret()}

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> GenericFake:
        """A receiver for the `url`: it verifies signatures and keeps each webhook-id once."""
        return start_fake(port=port, seed=seed)


CONNECTOR = GenericConnector()
