"""Intercom webhook notifications (X-Hub-Signature, HMAC-SHA1) turned into journey events.

Intercom signs only the body and sends no timestamp header, so replays are made harmless by
the notification id, which is the event's external id. A `ping` (how Intercom checks a new
webhook; its id is null) is answered 200 and stores nothing.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.intercom.kinds import INTERCOM_CONTACT
from connectors.sdk import (
    EMAIL,
    USER_ID,
    InboundRequest,
    JourneyEvent,
    Parsed,
    PayloadError,
    Rejected,
    SignatureError,
)
from connectors.sdk.json_body import load_json, text_check
from connectors.sdk.parsing import Invalid, check_identities, from_epoch
from connectors.sdk.signing import hmac_text, require_match

PERSON_TYPES = {"contact", "user", "lead", "admin"}
TRAITS = ("email", "name", "phone", "role")
TOPIC = re.compile(r"[A-Za-z0-9_]{1,50}(\.[A-Za-z0-9_]{1,50}){0,5}")
MAX_ID_LEN = 200
FIELDS = {
    INTERCOM_CONTACT.name: "data.item.id",
    EMAIL.name: "data.item.email",
    USER_ID.name: "data.item.external_id",
}


class IntercomWebhook:
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        secret = config.get("client_secret")
        header = request.headers.get("X-Hub-Signature", "")
        if not secret:
            raise SignatureError("the connection has no client_secret to verify Intercom signatures")
        algorithm, _, given = header.strip().partition("=")
        if algorithm != "sha1" or not given:
            raise SignatureError("X-Hub-Signature must be sha1=<hex digest>")
        expected = hmac_text(str(secret).encode(), request.body, algorithm="sha1", encoding="hex")
        require_match(expected, [given.lower()], "X-Hub-Signature")

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        body = load_json(request.body)
        if not isinstance(body, dict):
            raise PayloadError("must be a notification object", field="(body)")
        try:
            text_check(request.body)(body, "")
        except Invalid as exc:
            raise PayloadError(exc.problems[0][1], field=exc.problems[0][0]) from None
        topic, notification_id = body.get("topic"), body.get("id")
        if not isinstance(topic, str) or not TOPIC.fullmatch(topic):
            raise PayloadError("is required (a string like contact.user.created)", field="topic")
        if topic == "ping":
            return Parsed(
                ignored=[Rejected(0, "topic", "a ping: Intercom checking the webhook, nothing to store")]
            )
        if not isinstance(notification_id, str) or not notification_id or len(notification_id) > MAX_ID_LEN:
            raise PayloadError(
                f"is required (the notification id, at most {MAX_ID_LEN} characters)", field="id"
            )
        created = body.get("created_at")
        occurred = from_epoch(created, "created_at", millis=False) if created else request.received_at
        data = body.get("data")
        item = data.get("item") if isinstance(data, dict) else None
        if not isinstance(item, dict):
            raise PayloadError("must be an object", field="data.item")
        parsed = Parsed()
        person = _person(item)
        identities = _identities(person) if person else {}
        if not identities:
            parsed.ignored.append(Rejected(0, "data.item", f"{topic} names no contact; not a journey event"))
            return parsed
        try:
            check_identities(identities, FIELDS, "data.item")
        except Invalid as exc:
            raise PayloadError(exc.problems[0][1], field=exc.problems[0][0]) from None
        parsed.events.append(
            JourneyEvent(
                external_id=notification_id,
                name=f"intercom.{topic}",
                identities=identities,
                occurred_at=occurred,
                properties=_properties(topic, item),
                traits=_traits(person) if person else {},
            )
        )
        return parsed


def _person(item: dict[str, Any]) -> dict[str, Any] | None:
    """The contact a notification is about, wherever its topic puts it."""
    if _type(item) in PERSON_TYPES:
        return item
    for key in ("contact", "user"):
        if isinstance(item.get(key), dict):
            return item[key]  # type: ignore[no-any-return]
    contacts = item.get("contacts")
    listed = contacts.get("contacts") if isinstance(contacts, dict) else None
    found: dict[str, Any] = (
        dict(listed[0]) if isinstance(listed, list) and listed and isinstance(listed[0], dict) else {}
    )
    source = item.get("source")
    author = source.get("author") if isinstance(source, dict) else None
    if isinstance(author, dict) and _type(author) in {"user", "lead", "contact"}:
        found = {**author, **found}
    return found or None


def _type(item: dict[str, Any]) -> str:
    """An object's `type`, or "" when it is not text (a sender's mistake, never a crash)."""
    kind = item.get("type")
    return kind if isinstance(kind, str) else ""


def _identities(person: dict[str, Any]) -> dict[str, Any]:
    if person.get("type") == "admin":
        return {}
    identities = {INTERCOM_CONTACT.name: person.get("id"), EMAIL.name: person.get("email")}
    identities[USER_ID.name] = person.get("external_id") or person.get("user_id")
    return {
        k: v
        for k, v in identities.items()
        if isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip()
    }


def _traits(person: dict[str, Any]) -> dict[str, Any]:
    traits = {k: person[k] for k in TRAITS if person.get(k) is not None}
    location = person.get("location")
    if isinstance(location, dict):
        traits |= {k: location[k] for k in ("country", "city", "region") if location.get(k)}
    custom = person.get("custom_attributes")
    if isinstance(custom, dict):
        traits |= {k: v for k, v in custom.items() if v is not None}
    return traits


def _properties(topic: str, item: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {"topic": topic, "item_type": item.get("type")}
    if topic.startswith("conversation."):
        properties |= {"conversation_id": item.get("id"), "state": item.get("state")}
    tag = item.get("tag")
    if isinstance(tag, dict):
        properties |= {"tag_id": tag.get("id"), "tag_name": tag.get("name")}
    return {k: v for k, v in properties.items() if v is not None}
