"""Amplitude: behavioral cohorts pulled through the asynchronous Behavioral Cohorts download API.

Basic auth with the project's API key and secret key; the project's data residency (US, EU)
picks the API host.
"""

from __future__ import annotations

from typing import Any

from connectors.amplitude.client import (
    DEFAULT_POLL_BUDGET_S,
    DEFAULT_POLL_INTERVAL_S,
    REGIONS,
    AmplitudeClient,
)
from connectors.amplitude.fake import start as start_fake
from connectors.amplitude.kinds import AMPLITUDE_ID
from connectors.amplitude.source import DEFAULT_PAGE_SIZE, AmplitudeSource
from connectors.sdk import (
    Capability,
    CheckResult,
    ConfigField,
    Connector,
    ConnectorSpec,
    FieldType,
    check,
)
from connectors.sdk.fakes.server import FakeServer


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
        ),
        capabilities=frozenset({Capability.SOURCE}),
        identity_kinds=(AMPLITUDE_ID,),
    )
    source = AmplitudeSource()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return check(lambda: AmplitudeClient(config).probe())

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, members=members, seed=seed)


CONNECTOR = AmplitudeConnector()
