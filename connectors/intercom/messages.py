"""Invites as Intercom messages: `POST /messages` from an admin to the person's contact, in-app or email.

The contact is the person's `intercom_contact` id when the hub knows it (read with
`GET /contacts/{id}`, which also gives the role Intercom wants in `to.type`), else the
contact found by email through contact search. The sender is the connection's `admin_id`,
or the admin whose token it is (`GET /me`).

Intercom has no idempotency header, so each message carries a marker derived from the
invite's idempotency key (a short `ref jh-…` line at the end of the body) and is sent
with `create_conversation_without_contact_reply`, which opens its conversation at once.
`lookup` searches the contact's conversations for that marker (`POST /conversations/search`
on `contact_ids` and `source.body`): the outbox asks it before resending an invite whose
first attempt may have arrived. Intercom indexes new conversations for search with a
delay, so a lookup moments after a crash can miss one: that delay is this channel's
remaining at-least-once window.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any
from urllib.parse import quote

from connectors.intercom.client import IntercomClient
from connectors.intercom.kinds import INTERCOM_CONTACT
from connectors.sdk import (
    ConfigError,
    ErrorResolution,
    FailureType,
    HttpClient,
    Message,
    Receipt,
    Recipient,
    ResponseAction,
)

MESSAGE_TYPES = ("email", "inapp")
_NO_CONTACT = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "no Intercom contact")


def marker(idempotency_key: str) -> str:
    """What a message carries so a later search can find it; the same for every attempt of one invite."""
    return "jh-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]


def _body(message: Message) -> str:
    content = message.html or "<p>" + html.escape(message.text).replace("\n", "<br>") + "</p>"
    return f"{content}\n<p>ref {marker(message.idempotency_key)}</p>"


def _contact_id(recipient: Recipient) -> str | None:
    """The id as Intercom knows it; the hub keeps per-account ids as `<connection id>:<id>`."""
    value = recipient.identities.get(INTERCOM_CONTACT.name)
    return str(value).rsplit(":", 1)[-1] if value else None


def find_contact(http: HttpClient, recipient: Recipient) -> dict[str, Any] | None:
    """The person's contact, by id when known, else by email; None when Intercom has neither."""
    contact_id = _contact_id(recipient)
    if contact_id:
        try:
            found: dict[str, Any] = http.request("GET", f"/contacts/{quote(contact_id, safe='')}").json()
            return found
        except ConfigError as exc:
            if exc.status != 404:
                raise
    if not recipient.email:
        return None
    query = {"field": "email", "operator": "=", "value": recipient.email}
    page = http.request(
        "POST", "/contacts/search", json={"query": query, "pagination": {"per_page": 5}}
    ).json()
    contacts = sorted(page.get("data") or [], key=lambda c: c.get("role") != "user")
    return dict(contacts[0]) if contacts else None


def _admin_id(http: HttpClient, config: dict[str, Any]) -> str:
    if config.get("admin_id"):
        return str(config["admin_id"])
    return str(http.request("GET", "/me").json()["id"])


class IntercomChannel:
    def send(self, config: dict[str, Any], message: Message) -> Receipt:
        kind = str(config.get("message_type") or "email")
        with IntercomClient(config, attempts=1).http as http:
            contact = find_contact(http, message.recipient)
            if contact is None:
                raise ConfigError(
                    f"profile {message.recipient.profile_id} has no Intercom contact (by id or email)",
                    resolution=_NO_CONTACT,
                )
            body = {
                "message_type": kind,
                "subject": " ".join(message.subject.split()),
                "body": _body(message),
                "template": "plain",
                "from": {"type": "admin", "id": _admin_id(http, config)},
                "to": {"type": "lead" if contact.get("role") == "lead" else "user", "id": str(contact["id"])},
                "create_conversation_without_contact_reply": True,
            }
            sent = http.request("POST", "/messages", json=body).json()
        return Receipt(
            provider_id=str(sent["id"]),
            detail={
                "conversation_id": sent.get("conversation_id"),
                "contact_id": str(contact["id"]),
                "message_type": kind,
            },
        )

    def lookup(self, config: dict[str, Any], message: Message) -> Receipt | None:
        ref = marker(message.idempotency_key)
        with IntercomClient(config, attempts=1).http as http:
            contact = find_contact(http, message.recipient)
            if contact is None:
                return None
            query = {
                "operator": "AND",
                "value": [
                    {"field": "contact_ids", "operator": "=", "value": str(contact["id"])},
                    {"field": "source.body", "operator": "~", "value": ref},
                ],
            }
            found = http.request(
                "POST", "/conversations/search", json={"query": query, "pagination": {"per_page": 5}}
            ).json()
        for conversation in found.get("conversations") or []:
            source = conversation.get("source") or {}
            if ref in str(source.get("body") or ""):
                return Receipt(
                    provider_id=str(source.get("id")),
                    detail={
                        "conversation_id": str(conversation["id"]),
                        "contact_id": str(contact["id"]),
                        "found_by": "conversation search",
                    },
                )
        return None
