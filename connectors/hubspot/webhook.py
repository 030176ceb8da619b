"""HubSpot webhooks (signature v3) turned into journey events about contacts.

HubSpot signs method + the URI it called + body + its timestamp, so behind a proxy that
rewrites the host the URI we see differs from the one it signed: the connection's
`webhook_url` setting, when given, is the URI used instead. Both payload formats arrive:
the legacy one (`contact.creation`, older batches naming it `eventType`) and the generic
one (`object.creation` with `objectTypeId` "0-1" for a contact); both become the same
journey event, so a recipe does not care which one an app subscribed to.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from connectors.hubspot.kinds import HUBSPOT_CONTACT
from connectors.sdk import EMAIL, InboundRequest, JourneyEvent, Parsed, PayloadError, Rejected, SignatureError
from connectors.sdk.json_body import Check, load_json, text_check
from connectors.sdk.parsing import Invalid, check_identities, from_epoch
from connectors.sdk.signing import hmac_text, require_fresh, require_match

# HubSpot decodes exactly these escapes before signing (developers.hubspot.com, validating requests).
DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
KEPT = (
    "propertyName", "propertyValue", "changeSource", "portalId", "subscriptionId", "attemptNumber",
    "objectTypeId", "associationType", "fromObjectId", "toObjectId", "associationRemoved",
)  # fmt: skip
CONTACT = "0-1"
OBJECT_TYPES = {CONTACT: "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket", "0-7": "product"}
KIND = re.compile(r"[A-Za-z_]{1,50}\.[A-Za-z_]{1,50}")
MAX_ID_LEN = 64
ID_PARTS = ("portalId", "subscriptionId", "eventId")


class HubSpotWebhook:
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        secret = config.get("client_secret")
        signature = request.headers.get("X-HubSpot-Signature-v3")
        stamp = request.headers.get("X-HubSpot-Request-Timestamp")
        if not secret:
            raise SignatureError("the connection has no client_secret to verify HubSpot signatures")
        if not signature or not stamp:
            raise SignatureError("X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required")
        try:
            sent_at = from_epoch(stamp, "X-HubSpot-Request-Timestamp", millis=True)
        except PayloadError:
            raise SignatureError("X-HubSpot-Request-Timestamp is not milliseconds since the epoch") from None
        require_fresh(sent_at, request.received_at, request.tolerance, "X-HubSpot-Request-Timestamp")
        signed = request.method.upper().encode() + signed_uri(config, request.url).encode() + request.body
        expected = hmac_text(
            str(secret).encode(), signed + stamp.encode(), algorithm="sha256", encoding="base64"
        )
        require_match(expected, [signature.strip()], "X-HubSpot-Signature-v3")

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        body, check = load_json(request.body), text_check(request.body)
        items = body if isinstance(body, list) else [body]
        wanted = {p.strip() for p in str(config.get("properties") or "").split(",") if p.strip()}
        parsed = Parsed()
        for index, item in enumerate(items):
            at = f"{index}." if isinstance(body, list) else ""
            try:
                event = _event(item, wanted, check)
            except Invalid as exc:
                parsed.rejected.extend(Rejected(index, _at(at, f), m) for f, m in exc.problems)
                continue
            if event is None:
                field = at + _kind_field(item)
                parsed.ignored.append(Rejected(index, field, "names no contact; not a journey event"))
            else:
                parsed.events.append(event)
        return parsed


def signed_uri(config: dict[str, Any], seen: str) -> str:
    """The URI HubSpot called (`webhook_url` when set, keeping the query we received), with
    only the escapes HubSpot decodes decoded: `seen` must be the URL as sent, not werkzeug's."""
    configured = str(config.get("webhook_url") or "")
    uri = seen
    if configured:
        query = urlsplit(seen).query
        uri = configured if not query or "?" in configured else f"{configured}?{query}"
    for escaped, char in DECODED.items():
        uri = uri.replace(escaped, char).replace(escaped.lower(), char)
    return uri


def _event(item: Any, wanted: set[str], check: Check) -> JourneyEvent | None:
    if not isinstance(item, dict):
        raise Invalid([("", "must be an object")])
    check(item, "")
    field = _kind_field(item)
    kind = item.get(field)
    if not isinstance(kind, str) or not KIND.fullmatch(kind):
        raise Invalid([(field, "must be a string like contact.creation or object.creation")])
    # eventId alone is not unique: another subscription (or portal) may send the same one
    external_id = ":".join(_id(item, name, required=name == "eventId") for name in ID_PARTS)
    occurred = _occurred(item)
    object_type, action = _object_type(kind, item), kind.split(".", 1)[1]
    contact = _contact_id(object_type, action, item)
    if contact is None:
        return None
    identities: dict[str, Any] = {HUBSPOT_CONTACT.name: contact}
    traits: dict[str, Any] = {}
    name, value = item.get("propertyName"), item.get("propertyValue")
    if object_type == "contact" and action == "propertyChange" and isinstance(name, str):
        if name in wanted:
            traits[name] = value
        if name == "email" and isinstance(value, str) and value:
            identities[EMAIL.name] = value
    check_identities(identities, {EMAIL.name: "propertyValue"}, "objectId")
    return JourneyEvent(
        external_id=external_id,
        name=f"hubspot.{object_type}.{action}",
        identities=identities,
        occurred_at=occurred,
        properties={"object_id": item.get("objectId")} | {k: item[k] for k in KEPT if k in item},
        traits=traits,
    )


def _kind_field(item: dict[str, Any]) -> str:
    """`subscriptionType`, or `eventType` where older batches name it so."""
    return "eventType" if "subscriptionType" not in item and "eventType" in item else "subscriptionType"


def _object_type(kind: str, item: dict[str, Any]) -> str:
    """`contact` for contact.* and for object.* about objectTypeId 0-1; the association's
    from-side type for object.associationChange; `object` for types we have no name for."""
    subject, action = kind.split(".", 1)
    if subject != "object":
        return subject
    key = (
        "fromObjectTypeId" if action == "associationChange" and "fromObjectTypeId" in item else "objectTypeId"
    )
    type_id = item.get(key)
    if not isinstance(type_id, str) or not type_id:
        raise Invalid([(key, "is required for object.* events (0-1 for a contact)")])
    return OBJECT_TYPES.get(type_id, "object")


def _contact_id(object_type: str, action: str, item: dict[str, Any]) -> str | None:
    """The contact an event is about: its object for contact events, the contact side of an association."""
    if action == "associationChange":
        if object_type == "contact":
            return _id(item, "fromObjectId", required=True)
        to_contact = item.get("toObjectTypeId") == CONTACT
        if to_contact or str(item.get("associationType", "")).endswith("_TO_CONTACT"):
            return _id(item, "toObjectId", required=True)
        return None
    return _id(item, "objectId", required=True) if object_type == "contact" else None


def _occurred(item: dict[str, Any]) -> datetime:
    try:
        return from_epoch(item.get("occurredAt"), "occurredAt", millis=True)
    except PayloadError as exc:
        raise Invalid([("occurredAt", str(exc))]) from None


def _id(item: dict[str, Any], field: str, *, required: bool) -> str:
    """HubSpot's ids are numbers; their text is what we keep. Absent optional ids are empty."""
    value = item.get(field)
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise Invalid([(field, "is required (a number)" if required else "must be a number")])
    text = str(value)
    if len(text) > MAX_ID_LEN or not text.isprintable():
        raise Invalid([(field, f"must be an id of at most {MAX_ID_LEN} printable characters")])
    return text


def _at(prefix: str, field: str) -> str:
    return (prefix + field).strip(".") or "(body)"
