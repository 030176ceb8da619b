"""Any signed event source: one event or a JSON list of them, Standard Webhooks signed.

The `webhook-id` header is the idempotency key, so a sender that retries a delivery (as
Standard Webhooks senders do) never stores an event twice; item `i` of a list is
`{webhook-id}:{i}`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.sdk import InboundRequest, JourneyEvent, Parsed, PayloadError, Rejected
from connectors.sdk import standard_webhooks as signature
from connectors.sdk.json_body import Check, load_json, text_check
from connectors.sdk.parsing import IdText, Invalid, IsoTime, check_identities, validation_problems

MAX_ID_LEN = 200


class GenericEvent(BaseModel):
    """CONTRACT.md's generic event; unknown fields are kept out of storage and reported."""

    model_config = ConfigDict(extra="allow")

    event: str = Field(min_length=1, max_length=200)
    user_id: IdText | None = None
    email: str | None = None
    anonymous_id: IdText | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    timestamp: IsoTime | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or any(c.isspace() for c in value.strip())):
            raise ValueError("is not an email address")
        return value


class GenericWebhook:
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        secret = str(config.get("secret", ""))
        signature.verify(secret, request.headers, request.body, request.received_at, request.tolerance)

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        msg_id = request.headers.get("webhook-id", "")
        if len(msg_id) > MAX_ID_LEN:
            raise PayloadError(f"is longer than {MAX_ID_LEN} characters", field="webhook-id")
        if not msg_id or not msg_id.isprintable():
            raise PayloadError("must be printable text: it is the idempotency key", field="webhook-id")
        body, check = load_json(request.body), text_check(request.body)
        if isinstance(body, list):
            if not body:
                raise PayloadError("the list holds no events", field="(body)")
            items = [(f"{msg_id}:{i}", f"{i}.", item) for i, item in enumerate(body)]
        elif isinstance(body, dict):
            items = [(msg_id, "", body)]
        else:
            raise PayloadError("must be an event object or a list of them", field="(body)")
        parsed = Parsed()
        for index, (external_id, prefix, item) in enumerate(items):
            try:
                event, unknown = _event(item, external_id, request.received_at, prefix, check)
            except Invalid as exc:
                parsed.rejected.extend(Rejected(index, f, m) for f, m in exc.problems)
                continue
            parsed.events.append(event)
            parsed.warnings.extend(Rejected(index, prefix + k, "unknown field, ignored") for k in unknown)
        return parsed


def _event(
    item: Any, external_id: str, received_at: datetime, prefix: str, check: Check
) -> tuple[JourneyEvent, list[str]]:
    if not isinstance(item, dict):
        raise Invalid([(prefix.rstrip(".") or "(body)", "must be an event object")])
    check(item, prefix.rstrip("."))
    try:
        model = GenericEvent.model_validate(item)
    except ValidationError as exc:
        raise Invalid(validation_problems(exc, prefix)) from None
    identities = {"user_id": model.user_id, "email": model.email, "anonymous_id": model.anonymous_id}
    check_identities(identities, {k: prefix + k for k in identities}, prefix + "user_id")
    occurred = model.timestamp or received_at  # IsoTime is UTC already
    traits = dict(model.traits)
    if model.email:
        traits.setdefault("email", model.email)
    event = JourneyEvent(
        external_id=external_id,
        name=model.event,
        identities=identities,
        occurred_at=occurred,
        properties=model.properties,
        traits=traits,
    )
    return event, sorted(model.model_extra or {})
