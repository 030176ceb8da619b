"""`POST /hooks/<connector>/<connection id>`: one route for every connector with a webhook receiver.

The receiver is found through the registry, so a new connector needs no change here; this
module owns the order of checks (connection, size, signature, payload) and the answers.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request

from connectors.base import InboundRequest, PayloadError, SignatureError
from connectors.registry import UnknownConnector, get_connector
from hub.accept import accept, read_body
from hub.connections import settings
from hub.db import db, utcnow
from hub.errors import ApiError
from hub.models import Connection

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__, url_prefix="/hooks")


@bp.post("/<connector>/<int:connection_id>")
def receive(connector: str, connection_id: int) -> dict[str, Any]:
    connection = db.session.get(Connection, connection_id)
    try:
        receiver = get_connector(connector).webhook
    except UnknownConnector:
        receiver = None
    if connection is None or connection.connector != connector or receiver is None:
        raise ApiError(404, "not_found", f"no {connector} webhook connection {connection_id}")
    inbound = InboundRequest(
        method=request.method,
        url=request.url,
        headers=request.headers,
        body=read_body(gzip=False),
        received_at=utcnow(),
    )
    config = settings(connection)
    try:
        receiver.verify(config, inbound)
    except SignatureError as exc:
        log.info("hooks: %s connection %d refused a delivery: %s", connector, connection_id, exc)
        raise ApiError(401, "invalid_signature", str(exc)) from None
    try:
        parsed = receiver.parse(config, inbound)
    except PayloadError as exc:
        field = exc.field or "(body)"
        raise ApiError(
            400, "invalid_payload", f"{field}: {exc}", [{"field": field, "message": str(exc)}]
        ) from None
    return accept(connection.id, parsed)
