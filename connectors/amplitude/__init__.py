"""Amplitude: behavioral cohorts pulled through the asynchronous Behavioral Cohorts download API,
or pushed by Amplitude's cohort webhooks to `/hooks/amplitude/<connection id>`.

Basic auth with the project's API key and secret key; the project's data residency (US, EU)
picks the API host. Pushes carry a header set on the connection (its value is generated when
left empty), added to the Amplitude destination as one of its custom headers. Result actions
set user properties (Identify) and send an `interview_completed` event per result (`actions`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from connectors.amplitude.actions import AmplitudeActions
from connectors.amplitude.client import (
    DEFAULT_POLL_BUDGET_S,
    DEFAULT_POLL_INTERVAL_S,
    REGIONS,
    AmplitudeClient,
)
from connectors.amplitude.fake import start as start_fake
from connectors.amplitude.kinds import AMPLITUDE_ID
from connectors.amplitude.source import DEFAULT_PAGE_SIZE, AmplitudeSource
from connectors.amplitude.webhook import DEFAULT_HEADER, AmplitudeWebhook
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

HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,99}")


class AmplitudeConnector(Connector):
    spec = ConnectorSpec(
        name="amplitude",
        title="Amplitude",
        fields=(
            ConfigField(
                name="region",
                label="Data residency",
                default="US",
                choices=tuple(REGIONS),
                help="where the project's data lives",
            ),
            ConfigField(
                name="base_url",
                label="API address",
                type=FieldType.URL,
                help="overrides the region's address (a proxy, or the local fake)",
            ),
            ConfigField(name="api_key", label="Project API key", required=True),
            ConfigField(name="secret_key", label="Project secret key", secret=True, required=True),
            ConfigField(
                name="properties",
                label="User properties to read",
                default="plan,country",
                help="comma-separated Amplitude user properties kept as traits",
            ),
            ConfigField(
                name="email_property",
                label="User property holding the email",
                default="email",
            ),
            ConfigField(
                name="page_size",
                label="Members per page handed to the sync",
                type=FieldType.INTEGER,
                default=DEFAULT_PAGE_SIZE,
                minimum=1,
                maximum=10_000,
            ),
            ConfigField(
                name="poll_interval_seconds",
                label="Seconds between status checks of a cohort export",
                type=FieldType.INTEGER,
                default=DEFAULT_POLL_INTERVAL_S,
                minimum=1,
                maximum=300,
            ),
            ConfigField(
                name="poll_timeout_seconds",
                label="Seconds to wait for a cohort export before the sync gives up and retries later",
                type=FieldType.INTEGER,
                default=DEFAULT_POLL_BUDGET_S,
                minimum=0,
                maximum=86_400,
                help="exports commonly take 30 to 60 seconds",
            ),
            ConfigField(
                name="webhook_header",
                label="Header Amplitude's cohort webhooks send the secret in",
                default=DEFAULT_HEADER,
            ),
            ConfigField(
                name="webhook_secret",
                label="Value of that header",
                secret=True,
                help="generated and shown once when left empty",
            ),
        ),
        capabilities=frozenset({Capability.SOURCE, Capability.WEBHOOK, Capability.ACTIONS}),
        identity_kinds=(AMPLITUDE_ID,),
    )
    source = AmplitudeSource()
    webhook = AmplitudeWebhook()
    actions = AmplitudeActions()

    def prepare_config(self, values: Mapping[str, Any]) -> dict[str, Any]:
        config = super().prepare_config(values)
        if not HEADER_NAME.fullmatch(str(config.get("webhook_header", DEFAULT_HEADER))):
            raise ConfigProblem({"webhook_header": "must be an HTTP header name (letters, digits and -)"})
        return config

    def generate_settings(self, config: dict[str, Any]) -> dict[str, Any]:
        return {} if config.get("webhook_secret") else {"webhook_secret": secrets.token_urlsafe(24)}

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return check(lambda: AmplitudeClient(config).probe())

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, members=members, seed=seed)


CONNECTOR = AmplitudeConnector()
