"""`POST /hooks/<connector>/<connection id>`: one route for every connector with a webhook receiver.

The receiver is found through the registry, so a new connector needs no change here; this
module owns the order of checks (connection, size, signature, payload) and the answers, which
a receiver whose sender reads its own shape (connectors.sdk.AnswerDialect) may wrap. A cohort
push (Parsed.cohort_push) goes to hub.cohorts.pushed instead of the event store.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Blueprint, request
from requests.structures import CaseInsensitiveDict

from connectors.registry import UnknownConnector, get_connector
from connectors.sdk import AnswerDialect, InboundRequest, PayloadError, SignatureError, WebhookReceiver
from hub.cohorts.pushed import receive_push
from hub.config import current_settings
from hub.connections import settings
from hub.db import db, utcnow
from hub.errors import ApiError
from hub.inbound.answer import payload_error, store_and_answer
from hub.inbound.body import read_body
from hub.inbound.results import store_results
from hub.models import Connection

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__, url_prefix="/hooks")
MAX_ID = 2**31 - 1
"""connections.id is an INTEGER: PostgreSQL refuses to compare a larger number with it."""


@bp.post("/<connector>/<int:connection_id>")
def receive(connector: str, connection_id: int) -> Any:
    # an id past the column's range names nothing (PostgreSQL and SQLite would refuse to look)
    connection = db.session.get(Connection, connection_id) if connection_id <= MAX_ID else None
    try:
        receiver = get_connector(connector).webhook
    except UnknownConnector:
        receiver = None
    if connection is None or connection.connector != connector or receiver is None:
        raise ApiError(404, "not_found", f"no {connector} webhook connection {connection_id}")
    if not isinstance(receiver, AnswerDialect):
        return _deliver(connection, receiver)
    try:  # its sender reads answers in its own shape (Mixpanel): ours go inside it
        answer, status, headers = _deliver(connection, receiver), 200, {}
    except ApiError as exc:
        answer = {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
        status, headers = exc.status, exc.headers
    return receiver.answer(request.get_data(cache=True) or None, status, answer), status, headers


def _deliver(connection: Connection, receiver: WebhookReceiver) -> dict[str, Any]:
    connector, connection_id = connection.connector, connection.id
    inbound = InboundRequest(
        method=request.method,
        url=called_url(),
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
    if parsed.cohort_push is not None:
        return receive_push(connection.id, parsed)
    if parsed.results:
        return store_results(connection.id, parsed)
    return store_and_answer(connection.id, parsed)


def called_url() -> str:
    """The URL as the sender called it, escapes as sent: werkzeug's `request.url` decodes them.

    The request target comes from the server (REQUEST_URI or RAW_URI, as werkzeug's and
    gunicorn's set it) or, where a server gives neither, from the WSGI path re-quoted and
    the query string, which WSGI passes through undecoded.
    """
    environ = request.environ
    target = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if not target:
        path = quote((environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1"))
        query = environ.get("QUERY_STRING", "")
        target = f"{path}?{query}" if query else path
    if urlsplit(target).scheme:  # an absolute-form request target is already the whole URL
        return _text(target)
    return _text(f"{request.scheme}://{request.host}{target}")


def _text(wsgi: str) -> str:
    """WSGI strings carry the raw bytes as latin-1; senders signed their UTF-8 reading."""
    return wsgi.encode("latin-1", "replace").decode("utf-8", "replace")
