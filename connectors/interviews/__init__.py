"""Interviews: an interview platform posts finished interviews, signed per Standard Webhooks.

Results are not journey events: the receiver hands them over in `Parsed.results` and the
insights domain links them to their invite, checks the answers against the campaign's
questions and stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.interviews.webhook import InterviewsWebhook
from connectors.sdk import Capability, ConfigField, ConfigProblem, Connector, ConnectorSpec
from connectors.sdk import standard_webhooks as signature


class InterviewsConnector(Connector):
    spec = ConnectorSpec(
        name="interviews",
        title="Interview results",
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
    webhook = InterviewsWebhook()

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


CONNECTOR = InterviewsConnector()
