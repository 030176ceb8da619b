"""Tracking: a Segment-compatible API (`/v1/track`, `/v1/identify`, `/v1/batch`) for your product.

The write key is generated at creation and identifies the connection on every request;
only its hash is kept searchable (Connection.lookup_key).
"""

from __future__ import annotations

import secrets
from typing import Any

from connectors.sdk import Capability, ConfigField, Connector, ConnectorSpec
from connectors.tracking.segment import SegmentTracking

WRITE_KEY_BYTES = 24


class TrackingConnector(Connector):
    spec = ConnectorSpec(
        name="tracking",
        title="Tracking API (Segment-compatible)",
        fields=(
            ConfigField(
                name="write_key",
                label="Write key",
                secret=True,
                help="HTTP Basic user name of /v1/track, /v1/identify, /v1/batch; generated when left empty",
            ),
        ),
        capabilities=frozenset({Capability.TRACKING}),
        lookup_field="write_key",
    )
    tracking = SegmentTracking()

    def generate_settings(self, config: dict[str, Any]) -> dict[str, Any]:
        return {} if config.get("write_key") else {"write_key": secrets.token_urlsafe(WRITE_KEY_BYTES)}


CONNECTOR = TrackingConnector()
