"""Salesforce: Campaign members and SOQL query rows as cohorts, through simple-salesforce."""

from __future__ import annotations

from typing import Any

from connectors.base import Capability, CheckResult, ConfigField, Connector, ConnectorSpec
from connectors.salesforce.client import MAX_BATCH, SalesforceClient
from connectors.salesforce.source import SalesforceSource


class SalesforceConnector(Connector):
    spec = ConnectorSpec(
        name="salesforce",
        title="Salesforce",
        fields=(
            ConfigField(
                name="base_url",
                label="Instance URL",
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
                default=MAX_BATCH,
                help="200 to 2000; Salesforce may send fewer",
            ),
        ),
        capabilities=frozenset({Capability.SOURCE}),
    )
    source = SalesforceSource()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return SalesforceClient(config).check()


CONNECTOR = SalesforceConnector()
