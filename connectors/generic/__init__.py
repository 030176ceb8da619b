"""Generic: any system that can send Standard Webhooks-signed JSON events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.generic import signature
from connectors.generic.webhook import GenericWebhook
from connectors.sdk import Capability, ConfigField, ConfigProblem, Connector, ConnectorSpec


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
        ),
        capabilities=frozenset({Capability.WEBHOOK}),
    )
    webhook = GenericWebhook()

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


CONNECTOR = GenericConnector()
