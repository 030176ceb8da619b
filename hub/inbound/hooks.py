"""`POST /hooks/<connector>/<connection id>`: one route for every connector with a webhook receiver.

The receiver is found through the registry, so a new connector needs no change here; this
module owns the order of checks (connection, size, signature, payload) and the answers.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, request
from requests.structures import CaseInsensitiveDict

from connectors.registry import UnknownConnector, get_connector
from connectors.sdk import InboundRequest, PayloadError, SignatureError
from hub.config import current_settings
from hub.connections import settings
from hub.db import db, utcnow
from hub.errors import ApiError
from hub.inbound.answer import payload_error, store_and_answer
from hub.inbound.body import read_body
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
        headers=CaseInsensitiveDict(request.headers.items()),
        body=read_body(gzip=False),
        received_at=utcnow(),
        tolerance=timedelta(seconds=current_settings().journeyhub_webhook_tolerance_s),
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
        raise payload_error(exc) from None
    return store_and_answer(connection.id, parsed)
