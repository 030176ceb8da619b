"""HubSpot webhooks: v3 signatures as HubSpot computes them, and its batched events as journey events."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from connectors.hubspot.webhook import signed_uri
from hub.db import db
from hub.models import Event, Identity, Profile
from tests.inbound.support import EMPTY, add_connection, basic, counts, dumps, hubspot_headers

SECRET = "hubspot-client-secret"


def now_ms() -> int:
    return int(time.time() * 1000)


def notification(event_id: int, kind: str, object_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": event_id, "subscriptionId": 42, "portalId": 7, "appId": 9, "occurredAt": now_ms() - 1000,
        "subscriptionType": kind, "attemptNumber": 0, "objectId": object_id, "changeSource": "CRM", **extra,
    }  # fmt: skip


def send(
    app: Flask, connection_id: int, items: Any, *, uri: str | None = None, at_ms: int | None = None
) -> Any:
    body = dumps(items)
    path = f"/hooks/hubspot/{connection_id}"
    headers = hubspot_headers(SECRET, "POST", uri or f"http://localhost{path}", body, at_ms)
    return app.test_client().post(path, data=body, headers=headers)


def test_a_batch_becomes_contact_events_and_traits(app: Flask) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    items = [
        notification(1001, "contact.creation", 501),
        notification(
            1002, "contact.propertyChange", 501, propertyName="email", propertyValue="Ada@Example.com"
        ),
        notification(
            1003, "contact.propertyChange", 501, propertyName="lifecyclestage", propertyValue="customer"
        ),
        notification(1004, "contact.propertyChange", 501, propertyName="hs_secret_score", propertyValue="99"),
        notification(1005, "deal.creation", 9001),
        notification(
            1006,
            "deal.associationChange",
            0,
            fromObjectId=9001,
            toObjectId=502,
            associationType="DEAL_TO_CONTACT",
        ),
        notification(1007, "contact.deletion", 503),
    ]
    response = send(app, connection_id, items)
    assert response.status_code == 200
    assert (response.json["accepted"], response.json["rejected"]) == (6, [])
    assert response.json["ignored"] == [
        {"index": 4, "field": "4.subscriptionType", "message": "names no contact; not a journey event"}
    ]
    with app.app_context():
        events = {e.external_id.rsplit(":", 1)[-1]: e for e in db.session.scalars(sa.select(Event))}
        assert events["1001"].external_id == "7:42:1001"  # portal, subscription, event
        assert events["1001"].name == "hubspot.contact.creation"
        assert events["1006"].name == "hubspot.deal.associationChange"
        assert events["1002"].properties["propertyValue"] == "Ada@Example.com"
        profile = db.session.get(Profile, events["1001"].profile_id)
        assert profile is not None
        assert profile.traits == {"email": "Ada@Example.com", "lifecyclestage": "customer"}
        keys = {(i.kind, i.value) for i in profile.identities}
        contact = events["1001"].connection_id
        assert keys == {("hubspot_contact", f"{contact}:501"), ("email", "ada@example.com")}  # ids per portal
        owner = db.session.scalar(sa.select(Identity.profile_id).where(Identity.value == f"{contact}:502"))
        assert owner == events["1006"].profile_id != profile.id


def test_a_hubspot_contact_joins_the_profile_the_product_already_knows(app: Flask) -> None:
    _, tracking = add_connection(app, "tracking")
    app.test_client().post(
        "/v1/identify",
        json={"userId": "u-1", "traits": {"email": "ada@example.com"}},
        headers=basic(tracking["write_key"]),
    )
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    item = notification(
        2001, "contact.propertyChange", 777, propertyName="email", propertyValue="ADA@example.com"
    )
    assert send(app, connection_id, [item]).status_code == 200
    assert counts(app)["profiles"] == 1


def test_redelivered_event_ids_are_duplicates(app: Flask) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    items = [notification(3001, "contact.creation", 1)]
    assert send(app, connection_id, items).json["accepted"] == 1
    again = send(app, connection_id, [{**items[0], "attemptNumber": 1}])
    assert (again.json["accepted"], again.json["duplicates"]) == (0, 1)


def test_bad_items_are_reported_by_index(app: Flask) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    items = [
        notification(4001, "contact.creation", 1),
        {**notification(4002, "contact.creation", 2), "eventId": None},
        {**notification(4003, "contact.creation", 3), "occurredAt": "noon"},
        "junk",
    ]
    response = send(app, connection_id, items)
    assert response.json["accepted"] == 1
    assert [(r["index"], r["field"]) for r in response.json["rejected"]] == [
        (1, "1.eventId"), (2, "2.occurredAt"), (3, "3"),
    ]  # fmt: skip


def test_forged_stale_or_unsigned_deliveries_are_refused(app: Flask) -> None:
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET)
    no_secret_id, _ = add_connection(app, "hubspot", "no-secret")
    items = [notification(5001, "contact.creation", 1)]
    body = dumps(items)
    path = f"/hooks/hubspot/{connection_id}"
    client = app.test_client()
    stale = send(app, connection_id, items, at_ms=now_ms() - 6 * 60 * 1000)
    future = send(app, connection_id, items, at_ms=now_ms() + 6 * 60 * 1000)
    wrong_uri = send(app, connection_id, items, uri="http://localhost/hooks/hubspot/999")
    wrong_secret = client.post(
        path, data=body, headers=hubspot_headers("other", "POST", f"http://localhost{path}", body)
    )
    unsigned = client.post(path, data=body, headers={"Content-Type": "application/json"})
    unconfigured = send(app, no_secret_id, items)
    for response in (stale, future, wrong_uri, wrong_secret, unsigned, unconfigured):
        assert response.status_code == 401
    assert "too old (more than 300 s)" in stale.json["error"]["message"]
    assert counts(app) == EMPTY


def test_the_configured_webhook_url_is_what_hubspot_signed_behind_a_proxy(app: Flask) -> None:
    public = "https://hooks.example.com/journeyhub/hubspot"
    connection_id, _ = add_connection(app, "hubspot", client_secret=SECRET, webhook_url=public)
    items = [notification(6001, "contact.creation", 1)]
    assert (
        send(app, connection_id, items, uri=f"http://localhost/hooks/hubspot/{connection_id}").status_code
        == 401
    )
    assert send(app, connection_id, items, uri=public).status_code == 200


def test_uris_are_signed_with_hubspots_decoded_characters() -> None:
    seen = "https://h.example.com/hooks/hubspot/1?a=b%3Ac%2Fd%40e&f=%20g"
    assert signed_uri({}, seen) == "https://h.example.com/hooks/hubspot/1?a=b:c/d@e&f=%20g"
    configured = {"webhook_url": "https://public.example.com/x"}
    assert signed_uri(configured, seen) == "https://public.example.com/x?a=b:c/d@e&f=%20g"
    assert signed_uri({"webhook_url": "https://p.example.com/x?k=1"}, seen) == "https://p.example.com/x?k=1"
