"""Salesforce: Campaign members and SOQL query rows as cohorts, through simple-salesforce; result
actions write interview results into Contact fields."""

from __future__ import annotations

from typing import Any

from connectors.salesforce.client import MAX_BATCH, MIN_BATCH, SalesforceClient
from connectors.salesforce.fake import start as start_fake
from connectors.salesforce.fields import SalesforceFields
from connectors.salesforce.kinds import SALESFORCE_CONTACT, SALESFORCE_LEAD
from connectors.salesforce.source import SalesforceSource
from connectors.sdk import Capability, CheckResult, ConfigField, Connector, ConnectorSpec, FieldType, check
from connectors.sdk.fakes.server import FakeServer


class SalesforceConnector(Connector):
    spec = ConnectorSpec(
        name="salesforce",
        title="Salesforce",
        fields=(
            ConfigField(
                name="base_url",
                label="Instance URL",
                type=FieldType.URL,
                required=True,
                help="your My Domain address, e.g. https://acme.my.salesforce.com",
            ),
            ConfigField(name="access_token", label="Access token (session id)", secret=True, required=True),
            ConfigField(name="api_version", label="REST API version", default="59.0"),
            ConfigField(
                name="ca_bundle",
                label="CA bundle path",
                help="only for an instance behind a private certificate authority",
            ),
            ConfigField(
                name="page_size",
                label="Rows per query batch",
                type=FieldType.INTEGER,
                default=MAX_BATCH,
                minimum=MIN_BATCH,
                maximum=MAX_BATCH,
                help="Salesforce may send fewer",
            ),
        ),
        capabilities=frozenset({Capability.SOURCE, Capability.ACTIONS}),
        identity_kinds=(SALESFORCE_CONTACT, SALESFORCE_LEAD),
    )
    source = SalesforceSource()
    actions = SalesforceFields()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return check(SalesforceClient(config).probe)

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, members=members, seed=seed)


CONNECTOR = SalesforceConnector()
