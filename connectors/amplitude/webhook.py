"""Amplitude's cohort webhooks (apis.md §2), read as cohort pushes.

Each POST is one batch of users who entered (`in_cohort: true`) or left (`false`) a cohort.
Amplitude signs nothing; a customer adds up to five headers to the destination, and one of
them carries the secret set on the connection (`webhook_header` named, `webhook_secret`
valued). Amplitude retries a batch it timed out on with the same `message_id`, so that is
the delivery key: a batch delivered twice changes nothing the second time.
"""

from __future__ import annotations

import hmac
from typing import Any

from connectors.amplitude.kinds import AMPLITUDE_ID
from connectors.sdk import (
    EMAIL,
    USER_ID,
    CohortPush,
    InboundRequest,
    Member,
    Parsed,
    PayloadError,
    PushKind,
    Rejected,
    SignatureError,
)
from connectors.sdk.json_body import load_json, text_check
from connectors.sdk.parsing import Invalid, from_epoch

DEFAULT_HEADER = "X-Journeyhub-Secret"
MAX_ID_LEN = 100
MAX_MESSAGE_ID_LEN = 150
MAX_REF_LEN = 255


class AmplitudeWebhook:
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        header = str(config.get("webhook_header") or DEFAULT_HEADER)
        secret = str(config.get("webhook_secret") or "")
        if not secret:
            raise SignatureError("the connection has no webhook_secret to check Amplitude's header against")
        given = request.headers.get(header)
        if given is None:
            raise SignatureError(f"the {header} header is required (add it to the Amplitude destination)")
        if not hmac.compare_digest(given.strip().encode(), secret.encode()):
            raise SignatureError(f"the {header} header does not match the connection's webhook_secret")

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        body = load_json(request.body)
        if not isinstance(body, dict):
            raise PayloadError(
                "must be an object with cohort_id, in_cohort, message_id and users", field="(body)"
            )
        try:
            text_check(request.body)(body, "")
        except Invalid as exc:
            raise PayloadError(exc.problems[0][1], field=exc.problems[0][0]) from None
        cohort_id = _text(body.get("cohort_id"), "cohort_id", MAX_ID_LEN, required=True)
        message_id = _text(body.get("message_id"), "message_id", MAX_MESSAGE_ID_LEN, required=True)
        kind = _in_cohort(body.get("in_cohort"))
        name = body.get("cohort_name")
        if name is not None and not isinstance(name, str):
            raise PayloadError("must be text", field="cohort_name")
        computed = next((f for f in ("computed_time", "compute_time") if body.get(f) not in (None, "")), None)
        occurred = from_epoch(body[computed], computed, millis=False) if computed else request.received_at
        members, skipped = _users(body.get("users"), str(config.get("email_property") or "email").strip())
        push = CohortPush(
            source_ref=str(cohort_id),
            name=(name or "").strip() or f"Amplitude cohort {cohort_id}",
            kind=kind,
            members=members,
            delivery_key=f"{cohort_id}:{message_id}",
            occurred_at=occurred,
        )
        return Parsed(rejected=skipped, cohort_push=push)


def _in_cohort(value: Any) -> PushKind:
    """A JSON boolean, or its text when a customer's template quotes it."""
    if value is True or value == "true":
        return PushKind.ADDED
    if value is False or value == "false":
        return PushKind.REMOVED
    raise PayloadError("must be true (these users entered) or false (they left)", field="in_cohort")


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise PayloadError("is required", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError("must be a string or a whole number", field=field)
    text = str(value).strip()
    if len(text) > limit or (required and not text):
        raise PayloadError(f"must be 1 to {limit} characters", field=field)
    return text or None


def _users(value: Any, email_property: str) -> tuple[list[Member], list[Rejected]]:
    if not isinstance(value, list):
        raise PayloadError("must be a list of users (it may be empty)", field="users")
    members: list[Member] = []
    skipped: list[Rejected] = []
    for index, item in enumerate(value):
        member = _user(item, index, email_property)
        if member is None:
            skipped.append(
                Rejected(index, f"users.{index}", "names neither user_id nor amplitude_id; skipped")
            )
        else:
            members.append(member)
    return members, skipped


def _user(item: Any, index: int, email_property: str) -> Member | None:
    """A user by their user_id, as Amplitude's default payload names them; amplitude_id if a
    template sends only that (kept apart by a prefix, since the two number differently).

    Run once per user of batches of thousands, so field names are built only to report one."""
    if not isinstance(item, dict):
        raise PayloadError("must be an object", field=f"users.{index}")
    properties = item.get("user_properties")
    if properties is None:
        properties = {}
    elif not isinstance(properties, dict):
        raise PayloadError("must be an object", field=f"users.{index}.user_properties")
    user_id = _id(item.get("user_id"), index, "user_id", MAX_REF_LEN)
    amplitude_id = _id(item.get("amplitude_id"), index, "amplitude_id", MAX_ID_LEN)
    email = _id(properties.get(email_property), index, f"user_properties.{email_property}", MAX_REF_LEN)
    ref = user_id or (f"amplitude_id:{amplitude_id}" if amplitude_id else None)
    if ref is None:
        return None
    traits = properties.copy()
    traits.pop(email_property, None)
    return Member(
        ref=ref,
        identities={USER_ID.name: user_id, AMPLITUDE_ID.name: amplitude_id, EMAIL.name: email},
        traits=traits,
    )


def _id(value: Any, index: int, name: str, limit: int) -> str | None:
    """`_text` for a user's field, quick for the usual string."""
    if type(value) is str and len(value) <= limit:
        return value.strip() or None
    return _text(value, f"users.{index}.{name}", limit)
