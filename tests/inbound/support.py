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
    try:
        signature = Webhook(secret).sign(msg_id, at, body.decode())
    except UnicodeDecodeError:  # the library signs text only; the recipe itself signs bytes
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{msg_id}.{int(at.timestamp())}.".encode() + body
        signature = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
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
    return basic_pair(key, "")


def basic_pair(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


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


def assert_error(response: Any, status: int, field: str) -> dict[str, Any]:
    """The CONTRACT error shape, with `field` among the fields its details name."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"error"}
    error: dict[str, Any] = response.json["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert field in [d["field"] for d in error["details"] or []], error
    return error


class Doors:
    """One connection behind every inbound door, and a way to send each a body as its sender would."""

    HUBSPOT_SECRET = "hubspot-client-secret"
    INTERCOM_SECRET = "intercom-client-secret"
    MIXPANEL_PASSWORD = "mixpanel-webhook-password"
    MIXPANEL_PROJECT = 2_900_077
    AMPLITUDE_SECRET = "amplitude-webhook-secret"
    AMPLITUDE_HEADER = "X-Journeyhub-Secret"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.tracking_id, tracking = add_connection(app, "tracking", "web")
        self.write_key = str(tracking["write_key"])
        self.generic_id, generated = add_connection(app, "generic", "signed")
        self.generic_secret = str(generated["secret"])
        self.hubspot_id, _ = add_connection(app, "hubspot", "crm", client_secret=self.HUBSPOT_SECRET)
        self.intercom_id, _ = add_connection(app, "intercom", "chat", client_secret=self.INTERCOM_SECRET)
        self.mixpanel_id, _ = add_connection(
            app,
            "mixpanel",
            "analytics",
            project_id=self.MIXPANEL_PROJECT,
            webhook_password=self.MIXPANEL_PASSWORD,
        )
        self.amplitude_id, _ = add_connection(
            app, "amplitude", "product", webhook_secret=self.AMPLITUDE_SECRET
        )

    def track(self, body: bytes, kind: str = "track") -> Any:
        headers = {**basic(self.write_key), "Content-Type": "application/json"}
        return self.client.post(f"/v1/{kind}", data=body, headers=headers)

    def generic(self, body: bytes, msg_id: str = "msg_1") -> Any:
        headers = standard_headers(self.generic_secret, body, msg_id)
        return self.client.post(f"/hooks/generic/{self.generic_id}", data=body, headers=headers)

    def hubspot(self, body: bytes, query: str = "") -> Any:
        path = f"/hooks/hubspot/{self.hubspot_id}" + (f"?{query}" if query else "")
        headers = hubspot_headers(self.HUBSPOT_SECRET, "POST", f"http://localhost{path}", body)
        return self.client.post(path, data=body, headers=headers)

    def intercom(self, body: bytes) -> Any:
        headers = intercom_headers(self.INTERCOM_SECRET, body)
        return self.client.post(f"/hooks/intercom/{self.intercom_id}", data=body, headers=headers)

    def mixpanel(self, body: bytes, password: str = MIXPANEL_PASSWORD) -> Any:
        """Mixpanel answers in its own shape (`action`, `status`, then our `error`)."""
        headers = {**basic_pair("mixpanel", password), "Content-Type": "application/json"}
        return self.client.post(f"/hooks/mixpanel/{self.mixpanel_id}", data=body, headers=headers)

    def amplitude(self, body: bytes, secret: str = AMPLITUDE_SECRET) -> Any:
        headers = {self.AMPLITUDE_HEADER: secret, "Content-Type": "application/json"}
        return self.client.post(f"/hooks/amplitude/{self.amplitude_id}", data=body, headers=headers)

    def every_door(self, body: bytes) -> dict[str, Any]:
        """The same body sent through each door answering in the one error shape: the answers, by door.

        Mixpanel's door wraps that shape in its own; its tests send it the same hostile classes.
        """
        return {
            "track": self.track(body),
            "batch": self.track(body, "batch"),
            "generic": self.generic(body),
            "hubspot": self.hubspot(body),
            "intercom": self.intercom(body),
            "amplitude": self.amplitude(body),
        }
