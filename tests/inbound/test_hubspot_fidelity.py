"""HubSpot as it really sends: raw URIs in the v3 signature, deliveries per subscription, both formats.

The signing side is written from HubSpot's documentation (its table of decoded escapes),
never from our receiver, and the requests travel through the real servers we run under.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from waitress.server import create_server

from hub.db import db
from hub.models import Event, Identity
from tests.conftest import close_app, make_app
from tests.inbound.support import EMPTY, add_connection, counts, dumps, hubspot_headers, served
from tests.inbound.test_hubspot_webhook import SECRET, notification, now_ms

# developers.hubspot.com, "Validating requests", v3: these escapes are decoded before signing
HUBSPOT_DECODES = [
    ("%3A", ":"), ("%2F", "/"), ("%3F", "?"), ("%40", "@"), ("%21", "!"), ("%24", "$"),
    ("%27", "'"), ("%28", "("), ("%29", ")"), ("%2A", "*"), ("%2C", ","), ("%3B", ";"),
]  # fmt: skip
QUERY = "tag=%7Cpipe%7C&list=%5Ba%5D&ok=%E2%9C%93&time=12%3A30&who=a%40b&sp=%20x"


def as_hubspot_signs(uri: str) -> str:
    for escaped, char in HUBSPOT_DECODES:
        uri = uri.replace(escaped, char).replace(escaped.lower(), char)
    return uri


@contextmanager
def waitress_served(app: Flask) -> Iterator[str]:
    """The app behind waitress, the server `journeyhub serve` runs."""
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)


def post_raw(base_url: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    """Sends `target` byte for byte (no client re-quoting it), as HubSpot's sender does."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def signed(base_url: str, target: str, items: Any) -> tuple[dict[str, str], bytes]:
    body = dumps(items)
    return hubspot_headers(SECRET, "POST", as_hubspot_signs(base_url + target), body), body


def test_query_escapes_outside_hubspots_list_stay_escaped_in_the_signature(app: Flask) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    target = f"/hooks/hubspot/{connection_id}?{QUERY}"
    headers, body = signed("http://localhost", target, [notification(1, "contact.creation", 11)])
    assert app.test_client().post(target, data=body, headers=headers).status_code == 200
    waitress_like = {"REQUEST_URI": "", "RAW_URI": ""}  # a server that gives only PATH_INFO and QUERY_STRING
    headers, body = signed("http://localhost", target, [notification(2, "contact.creation", 11)])
    response = app.test_client().post(target, data=body, headers=headers, environ_overrides=waitress_like)
    assert response.status_code == 200
    for server, event_id in ((served, 3), (waitress_served, 4)):
        with server(app) as base_url:
            headers, body = signed(base_url, target, [notification(event_id, "contact.creation", 11)])
            assert post_raw(base_url, target, headers, body)[0] == 200, server
            decoded = hubspot_headers(SECRET, "POST", base_url + target.replace("%7C", "|"), body)
            assert post_raw(base_url, target, decoded, body)[0] == 401, server
    assert counts(app)["events"] == 4


def test_the_tolerance_is_the_setting(tmp_path: Path, database_url: str) -> None:
    for seconds, age, status in ((30, timedelta(seconds=60), 401), (900, timedelta(minutes=10), 200)):
        app = make_app(tmp_path, database_url, JOURNEYHUB_WEBHOOK_TOLERANCE_S=str(seconds))
        try:
            connection_id, _ = add_connection(app, "hubspot", f"tolerance-{seconds}", client_secret=SECRET)
            path = f"/hooks/hubspot/{connection_id}"
            body = dumps([notification(seconds, "contact.creation", 1)])
            at_ms = now_ms() - int(age.total_seconds() * 1000)
            headers = hubspot_headers(SECRET, "POST", f"http://localhost{path}", body, at_ms)
            response = app.test_client().post(path, data=body, headers=headers)
            assert response.status_code == status, seconds
            if status == 401:
                assert f"more than {seconds} s" in response.json["error"]["message"]
        finally:
            close_app(app)


def test_the_same_event_id_from_another_subscription_or_portal_is_another_event(app: Flask) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    client = app.test_client()
    path = f"/hooks/hubspot/{connection_id}"

    def deliver(items: list[dict[str, Any]]) -> Any:
        body = dumps(items)
        return client.post(
            path, data=body, headers=hubspot_headers(SECRET, "POST", f"http://localhost{path}", body)
        )

    first = notification(777, "contact.creation", 5)
    other_subscription = {**first, "subscriptionId": 43}
    other_portal = {**first, "portalId": 8}
    assert deliver([first, other_subscription, other_portal]).json["accepted"] == 3
    again = deliver([{**first, "attemptNumber": 1}, {**other_subscription, "attemptNumber": 2}])
    assert (again.json["accepted"], again.json["duplicates"]) == (0, 2)
    with app.app_context():
        ids = set(db.session.scalars(sa.select(Event.external_id)))
    assert ids == {"7:42:777", "7:43:777", "8:42:777"}


def test_the_generic_object_format_and_the_legacy_event_type_field(app: Flask) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    items = [
        notification(1, "object.creation", 601, objectTypeId="0-1", changeFlag="CREATED"),
        notification(2, "object.propertyChange", 601, objectTypeId="0-1", propertyName="email",
                     propertyValue="Kai@Example.com"),
        notification(3, "object.creation", 9001, objectTypeId="0-3"),
        notification(4, "object.associationChange", 0, associationType="DEAL_TO_CONTACT",
                     fromObjectTypeId="0-3", fromObjectId=9001, toObjectTypeId="0-1", toObjectId=602),
        notification(5, "object.creation", 603),
        {**notification(6, "", 604), "subscriptionType": None, "eventType": "contact.creation"},
        {key: value for key, value in notification(7, "", 9002).items() if key != "subscriptionType"}
        | {"eventType": "deal.creation"},
    ]  # fmt: skip
    body = dumps(items)
    path = f"/hooks/hubspot/{connection_id}"
    response = app.test_client().post(
        path, data=body, headers=hubspot_headers(SECRET, "POST", f"http://localhost{path}", body)
    )
    assert response.status_code == 200
    assert response.json["accepted"] == 3
    assert [(r["index"], r["field"]) for r in response.json["rejected"]] == [
        (4, "4.objectTypeId"), (5, "5.subscriptionType"),
    ]  # fmt: skip
    assert [(r["index"], r["field"]) for r in response.json["ignored"]] == [
        (2, "2.subscriptionType"), (6, "6.eventType"),
    ]  # fmt: skip
    with app.app_context():
        events = {e.external_id: e for e in db.session.scalars(sa.select(Event))}
        keys = {(i.kind, i.value) for i in db.session.scalars(sa.select(Identity))}
    assert {e.name for e in events.values()} == {
        "hubspot.contact.creation", "hubspot.contact.propertyChange", "hubspot.deal.associationChange",
    }  # fmt: skip
    assert events["7:42:1"].profile_id == events["7:42:2"].profile_id != events["7:42:4"].profile_id
    assert events["7:42:1"].properties["objectTypeId"] == "0-1"
    assert ("email", "kai@example.com") in keys
    assert {v.rsplit(":", 1)[-1] for k, v in keys if k == "hubspot_contact"} == {"601", "602"}


@pytest.mark.parametrize("subscription", ["contact.creation", "object.creation"])
def test_a_delivery_with_nothing_usable_is_refused_whole(app: Flask, subscription: str) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    item = {**notification(1, subscription, 5, objectTypeId="0-1"), "objectId": None}
    body = dumps([item])
    path = f"/hooks/hubspot/{connection_id}"
    response = app.test_client().post(
        path, data=body, headers=hubspot_headers(SECRET, "POST", f"http://localhost{path}", body)
    )
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["field"] == "0.objectId"
    assert counts(app) == EMPTY
