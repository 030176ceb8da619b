"""Segment Tracking API messages (track, identify, page, screen, batch) as journey events.

Segment's own libraries only need their host and write key changed, so fields are read in
Segment's names and its rules are kept: `messageId` is the idempotency key (generated, as
Segment does, when a message has none), and a client's clock is corrected by the skew
between its `sentAt` and our receipt time.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from connectors.sdk import JourneyEvent, Parsed, PayloadError, Rejected
from connectors.sdk.json_body import Check, load_json, text_check
from connectors.sdk.parsing import IdText, Invalid, IsoTime, check_identities, validation_problems

Kind = Literal["track", "identify", "page", "screen", "group", "alias"]
UNSUPPORTED = {"group", "alias"}
Object = dict[str, Any] | None
KNOWN = {"_metadata", "channel", "version", "writeKey", "receivedAt", "originalTimestamp", "projectId"}


class Message(BaseModel):
    """One Segment message in Segment's own field names, so errors name fields as they were sent.

    Fields we do not use are accepted; unknown ones are reported as warnings.
    """

    model_config = ConfigDict(extra="allow")

    type: Kind | None = None
    userId: IdText | None = None
    anonymousId: IdText | None = None
    messageId: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    event: StrictStr | None = Field(default=None, max_length=200)
    name: StrictStr | None = None
    category: StrictStr | None = None
    properties: Object = None
    traits: Object = None
    context: Object = None
    integrations: Object = None
    timestamp: IsoTime | None = None
    sentAt: IsoTime | None = None
    previousId: IdText | None = None
    groupId: IdText | None = None


class Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")

    batch: list[Any] = Field(min_length=1)
    context: Object = None
    sentAt: IsoTime | None = None


class SegmentTracking:
    """The paths of Segment's Tracking API that journeyhub serves (`/v1/<kind>`)."""

    kinds = frozenset({"track", "identify", "page", "screen", "batch"})

    def parse(self, kind: str, body: bytes, received_at: datetime) -> Parsed:
        if kind not in self.kinds:
            raise PayloadError(f"/v1/{kind} is not a Segment call", field="(path)")
        return parse(kind, body, received_at)  # type: ignore[arg-type]


def parse(kind: Kind | Literal["batch"], body: bytes, received_at: datetime) -> Parsed:
    """Messages of one request; a body that is not a JSON object raises PayloadError."""
    document, check = load_json(body), text_check(body)
    if not isinstance(document, dict):
        raise PayloadError("must be a JSON object", field="(body)")
    if kind != "batch":
        return _collect([(0, "", {**document, "type": kind})], {}, None, received_at, check)
    try:
        check({k: v for k, v in document.items() if k != "batch"}, "")
        envelope = Envelope.model_validate(document)
    except ValidationError as exc:
        field, message = validation_problems(exc)[0]
        raise PayloadError(message, field=field) from None
    except Invalid as exc:
        raise PayloadError(exc.problems[0][1], field=exc.problems[0][0]) from None
    items = [(i, f"batch.{i}.", m) for i, m in enumerate(envelope.batch)]
    return _collect(items, envelope.context or {}, envelope.sentAt, received_at, check)


def _collect(
    items: list[tuple[int, str, Any]],
    context: dict[str, Any],
    sent_at: datetime | None,
    received_at: datetime,
    check: Check,
) -> Parsed:
    parsed = Parsed()
    for index, prefix, raw in items:
        try:
            message = _message(raw, prefix, check)
        except Invalid as exc:
            parsed.rejected.extend(Rejected(index, f, m) for f, m in exc.problems)
            continue
        parsed.warnings.extend(
            Rejected(index, prefix + k, "unknown field, ignored")
            for k in sorted(message.model_extra or {})
            if k not in KNOWN
        )
        if message.type in UNSUPPORTED:
            parsed.ignored.append(Rejected(index, prefix + "type", f"{message.type} calls are not stored"))
            continue
        try:
            parsed.events.append(_event(message, raw, prefix, context, sent_at, received_at))
        except Invalid as exc:
            parsed.rejected.extend(Rejected(index, f, m) for f, m in exc.problems)
    return parsed


def _message(raw: Any, prefix: str, check: Check) -> Message:
    if not isinstance(raw, dict):
        raise Invalid([(prefix.rstrip(".") or "(body)", "must be a message object")])
    check(raw, prefix.rstrip("."))
    try:
        message = Message.model_validate(raw)
    except ValidationError as exc:
        raise Invalid(validation_problems(exc, prefix)) from None
    if message.type is None:
        raise Invalid([(prefix + "type", "is required in a batch (track, identify, page, screen, …)")])
    if message.type == "track" and not message.event:
        raise Invalid([(prefix + "event", "is required for a track call")])
    return message


def _event(
    message: Message,
    raw: dict[str, Any],
    prefix: str,
    shared_context: dict[str, Any],
    batch_sent_at: datetime | None,
    received_at: datetime,
) -> JourneyEvent:
    context = {**shared_context, **(message.context or {})}
    traits = _traits(message, context)
    email = traits.get("email")
    identities = {
        "user_id": message.userId,
        "anonymous_id": message.anonymousId,
        "email": email if isinstance(email, str) and "@" in email else None,
    }
    fields = {
        "user_id": prefix + "userId",
        "anonymous_id": prefix + "anonymousId",
        "email": prefix + "traits.email",
    }
    check_identities(identities, fields, prefix + "userId")
    properties = dict(message.properties or {})
    if message.type in {"page", "screen"}:
        properties |= {k: v for k, v in (("name", message.name), ("category", message.category)) if v}
    return JourneyEvent(
        external_id=message.messageId or _generated_id(message, raw),
        name=str(message.event) if message.type == "track" else str(message.type),
        identities=identities,
        occurred_at=_occurred(message, batch_sent_at, received_at, prefix),
        properties=dict(message.traits or {}) if message.type == "identify" else properties,
        traits=traits,
    )


def _traits(message: Message, context: dict[str, Any]) -> dict[str, Any]:
    """context.traits, then the call's own traits; time zone and country from the context."""
    found = context.get("traits")
    traits = dict(found) if isinstance(found, dict) else {}
    if message.type == "identify":
        traits |= message.traits or {}
    location = context.get("location")
    if isinstance(context.get("timezone"), str):
        traits.setdefault("timezone", context["timezone"])
    if isinstance(location, dict) and isinstance(location.get("country"), str):
        traits.setdefault("country", location["country"])
    return traits


def _occurred(
    message: Message, batch_sent_at: datetime | None, received_at: datetime, prefix: str
) -> datetime:
    """Segment's rule: receivedAt - (sentAt - timestamp), so a wrong client clock cancels out.

    Absurd pairs (year 1 against year 9999) fall outside the calendar: that message is refused.
    """
    sent_at = message.sentAt or batch_sent_at
    if message.timestamp is None:
        return received_at
    if sent_at is None:
        return message.timestamp
    try:
        return received_at - (sent_at - message.timestamp)
    except OverflowError:
        raise Invalid([(prefix + "timestamp", "is too far from sentAt to correct the clock skew")]) from None


def _generated_id(message: Message, raw: dict[str, Any]) -> str:
    """Segment generates a messageId when none is sent, so two sends are two events.

    A message that carries its own `timestamp` is the same event each time it is sent,
    though: a retry of it maps to one id, made from its content (sentAt aside).
    """
    if message.timestamp is None:
        return str(uuid.uuid4())
    content = {k: v for k, v in raw.items() if k != "sentAt"}
    return "sha256:" + hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
