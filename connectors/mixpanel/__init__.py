"""Mixpanel: cohorts pulled through the Query API (cohorts/list, engage filtered by cohort), or
pushed by Mixpanel's cohort sync to `/hooks/mixpanel/<connection id>`.

Service-account HTTP Basic auth on a project id; the project's data residency (US, EU, IN)
picks the API host. Pushes carry the HTTP Basic pair set on the connection (the password is
generated when left empty), which is what Mixpanel's custom webhook is given. Result actions
set profile properties (Engage `$set`, with the project token) and import an
`interview_completed` event per result (`actions`).
"""

from __future__ import annotations

import secrets
from typing import Any

from connectors.mixpanel.actions import MixpanelActions
from connectors.mixpanel.client import MAX_PAGE_SIZE, REGIONS, MixpanelClient
from connectors.mixpanel.fake import start as start_fake
from connectors.mixpanel.kinds import MIXPANEL_DISTINCT_ID
from connectors.mixpanel.source import MixpanelSource
from connectors.mixpanel.webhook import MixpanelWebhook
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


class MixpanelConnector(Connector):
    spec = ConnectorSpec(
        name="mixpanel",
        title="Mixpanel",
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
            ConfigField(name="service_account_username", label="Service account username", required=True),
            ConfigField(
                name="service_account_secret", label="Service account secret", secret=True, required=True
            ),
            ConfigField(
                name="project_id", label="Project id", type=FieldType.INTEGER, required=True, minimum=1
            ),
            ConfigField(
                name="project_token",
                label="Project token",
                secret=True,
                help="only for result actions that set profile properties (Engage carries it)",
            ),
            ConfigField(
                name="properties",
                label="Profile properties to read",
                default="$first_name,$last_name,$country_code,plan",
                help="comma-separated Mixpanel profile property names kept as traits ($email is always read)",
            ),
            ConfigField(
                name="page_size",
                label="Profiles per Engage page",
                type=FieldType.INTEGER,
                default=MAX_PAGE_SIZE,
                minimum=1,
                maximum=MAX_PAGE_SIZE,
            ),
            ConfigField(
                name="webhook_username",
                label="Username Mixpanel's cohort sync webhook sends (HTTP Basic)",
                default="mixpanel",
            ),
            ConfigField(
                name="webhook_password",
                label="Password Mixpanel's cohort sync webhook sends (HTTP Basic)",
                secret=True,
                help="generated and shown once when left empty",
            ),
        ),
        capabilities=frozenset({Capability.SOURCE, Capability.WEBHOOK, Capability.ACTIONS}),
        identity_kinds=(MIXPANEL_DISTINCT_ID,),
    )
    source = MixpanelSource()
    webhook = MixpanelWebhook()
    actions = MixpanelActions()

    def generate_settings(self, config: dict[str, Any]) -> dict[str, Any]:
        return {} if config.get("webhook_password") else {"webhook_password": secrets.token_urlsafe(24)}

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return check(lambda: MixpanelClient(config).probe())

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, members=members, seed=seed)


CONNECTOR = MixpanelConnector()
