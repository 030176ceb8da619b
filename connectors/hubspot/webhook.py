"""HubSpot webhooks (signature v3) turned into journey events about contacts.

HubSpot signs method + the URI it called + body + its timestamp, so behind a proxy that
rewrites the host the URI we see differs from the one it signed: the connection's
`webhook_url` setting, when given, is the URI used instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from connectors.hubspot.kinds import HUBSPOT_CONTACT
from connectors.sdk import EMAIL, InboundRequest, JourneyEvent, Parsed, PayloadError, Rejected, SignatureError
from connectors.sdk.parsing import from_epoch, load_json
from connectors.sdk.signing import hmac_text, require_fresh, require_match

# HubSpot decodes exactly these escapes before signing (developers.hubspot.com, validating requests).
DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip
KEPT = ("propertyName", "propertyValue", "changeSource", "portalId", "subscriptionId", "attemptNumber")


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
        body = load_json(request.body)
        items = body if isinstance(body, list) else [body]
        wanted = {p.strip() for p in str(config.get("properties") or "").split(",") if p.strip()}
        parsed = Parsed()
        for index, item in enumerate(items):
            try:
                event = _event(item, wanted)
            except PayloadError as exc:
                parsed.rejected.append(Rejected(index, _at(index, exc.field, body), str(exc)))
                continue
            if event is None:
                parsed.ignored.append(
                    Rejected(
                        index, _at(index, "subscriptionType", body), "names no contact; not a journey event"
                    )
                )
            else:
                parsed.events.append(event)
        return parsed


def signed_uri(config: dict[str, Any], seen: str) -> str:
    """The URI HubSpot called: `webhook_url` when set (keeping the query we received)."""
    configured = str(config.get("webhook_url") or "")
    uri = seen
    if configured:
        query = urlsplit(seen).query
        uri = configured if not query or "?" in configured else f"{configured}?{query}"
    for escaped, char in DECODED.items():
        uri = uri.replace(escaped, char).replace(escaped.lower(), char)
    return uri


def _event(item: Any, wanted: set[str]) -> JourneyEvent | None:
    if not isinstance(item, dict):
        raise PayloadError("must be an object", field=None)
    kind = item.get("subscriptionType")
    if not isinstance(kind, str) or "." not in kind:
        raise PayloadError("must be a string like contact.creation", field="subscriptionType")
    event_id = item.get("eventId")
    if isinstance(event_id, bool) or not isinstance(event_id, int | str) or event_id == "":
        raise PayloadError("is required (a number)", field="eventId")
    occurred = from_epoch(item.get("occurredAt"), "occurredAt", millis=True)
    contact = _contact_id(kind, item)
    if contact is None:
        return None
    identities: dict[str, Any] = {HUBSPOT_CONTACT.name: contact}
    traits: dict[str, Any] = {}
    name, value = item.get("propertyName"), item.get("propertyValue")
    if kind == "contact.propertyChange" and isinstance(name, str):
        if name in wanted:
            traits[name] = value
        if name == "email" and value:
            identities[EMAIL.name] = value
    return JourneyEvent(
        external_id=str(event_id),
        name=f"hubspot.{kind}",
        identities=identities,
        occurred_at=occurred,
        properties={"object_id": item.get("objectId")} | {k: item[k] for k in KEPT if k in item},
        traits=traits,
    )


def _contact_id(kind: str, item: dict[str, Any]) -> str | None:
    """The contact an event is about: its object for contact.*, the contact side of an association."""
    if kind == "contact.associationChange":
        return _id(item.get("fromObjectId"), "fromObjectId")
    if kind.startswith("contact."):
        return _id(item.get("objectId"), "objectId")
    if kind.endswith(".associationChange") and str(item.get("associationType", "")).endswith("_TO_CONTACT"):
        return _id(item.get("toObjectId"), "toObjectId")
    return None


def _id(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise PayloadError("is required (a number)", field=field)
    return str(value)


def _at(index: int, field: str | None, body: Any) -> str:
    prefix = str(index) if isinstance(body, list) else ""
    return ".".join(p for p in (prefix, field) if p) or "(body)"
