"""The Segment-compatible tracking API: `POST /v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/batch`.

Segment's libraries authenticate with HTTP Basic (write key as user name, empty password)
and newer ones also put `writeKey` in the body, so both are accepted; the connection is
found by the key's hash. Answers keep Segment's `{"success": true}` and add our figures.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from connectors.registry import get_connector
from connectors.sdk import PayloadError
from connectors.sdk.json_body import UNSTORABLE, load_json
from hub.connections import connection_id_by_credential
from hub.db import utcnow
from hub.errors import ApiError
from hub.inbound.answer import payload_error, store_and_answer
from hub.inbound.body import read_body

log = logging.getLogger(__name__)
bp = Blueprint("tracking", __name__, url_prefix="/v1")
CHALLENGE = WWWAuthenticate("basic", {"realm": "journeyhub tracking"})
CONNECTOR = "tracking"


@bp.post("/<kind>")
def receive(kind: str) -> dict[str, Any]:
    receiver = get_connector(CONNECTOR).tracking
    if receiver is None or kind not in receiver.kinds:
        raise ApiError(404, "not_found", f"/v1/{kind} is not a tracking call")
    received_at = utcnow()
    body = read_body(gzip=True)
    credentials = request.authorization
    key = credentials.username if credentials and credentials.type == "basic" else None
    connection_id = _connection_id(key or _body_key(body))
    try:
        parsed = receiver.parse(kind, body, received_at)
    except PayloadError as exc:
        raise payload_error(exc) from None
    return {"success": True, **store_and_answer(connection_id, parsed)}


def _body_key(body: bytes) -> Any:
    """`writeKey` from the body, as newer libraries send it; a body we cannot read has none."""
    try:
        payload = load_json(body)
    except PayloadError:
        return None
    return payload.get("writeKey") if isinstance(payload, dict) else None


def _connection_id(key: Any) -> int:
    if not isinstance(key, str) or not key or UNSTORABLE.search(key):
        raise Unauthorized("send the write key as the HTTP Basic user name", www_authenticate=CHALLENGE)
    connection_id = connection_id_by_credential(CONNECTOR, key)
    if connection_id is None:
        log.info("tracking: a request with an unknown write key was refused")
        raise Unauthorized("unknown write key", www_authenticate=CHALLENGE)
    return connection_id
