"""Helpers for inbound tests: connections, signed deliveries, database counts, a real server.

Senders are imitated the way they really sign (Standard Webhooks through its reference
library, HubSpot and Intercom from their documented recipes), never through our own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from standardwebhooks import Webhook
from werkzeug.serving import make_server

from connectors.registry import get_connector
from hub.connections import create_connection
from hub.db import db
from hub.models import Event, Identity, Profile


def add_connection(
    app: Flask, connector: str, name: str = "test", **values: Any
) -> tuple[int, dict[str, Any]]:
    """Creates a connection; returns its id and the settings generated for it.

    Webhook tests never call the provider, but its required token must still be set.
    """
    required = [f.name for f in get_connector(connector).spec.fields if f.required and f.name not in values]
    values |= {name: "test-token-unused" for name in required}
    with app.app_context():
        created = create_connection(connector, name, values)
        db.session.commit()
        return created.connection.id, created.generated


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (Event, Profile, Identity)
        }


EMPTY = {"events": 0, "profiles": 0, "identities": 0}


def standard_headers(secret: str, body: bytes, msg_id: str, at: datetime | None = None) -> dict[str, str]:
    """Headers a Standard Webhooks sender puts on a delivery, signed by the reference library."""
    at = at or datetime.now(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
        "Content-Type": "application/json",
    }


def hubspot_headers(
    secret: str, method: str, uri: str, body: bytes, at_ms: int | None = None
) -> dict[str, str]:
    """HubSpot's v3 recipe: base64(HMAC-SHA256(secret, method + uri + body + timestamp))."""
    stamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    signed = f"{method}{uri}".encode() + body + stamp.encode()
    digest = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return {
        "X-HubSpot-Signature-v3": digest,
        "X-HubSpot-Request-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def intercom_headers(secret: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature": f"sha1={digest}", "Content-Type": "application/json"}


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app behind werkzeug's real threaded HTTP server on loopback; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
