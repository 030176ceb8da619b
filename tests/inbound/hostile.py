"""Hypothesis strategies for what arrives at the front door: valid deliveries, mutated and hostile ones.

Each door's items are built from the provider's documented fields; any field may be
missing, of the wrong type, or replaced by a hostile value (text no database holds, numbers
past every integer type, times outside the calendar, nesting past the limit). Whole bodies
may be broken on the way (not JSON, NaN, invalid UTF-8, nested deep) and signatures forged.
"""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import strategies as st

HOSTILE_TEXT = [
    "u\ud800", "\udfff", "a\x00b", "\x00", "x" * 400, "", "   ", "\u202eevil", "%7C%5B", "😀",
    "'; DROP TABLE events; --", "é" * 50, "\\u0000", "a" * 5000,
]  # fmt: skip
HOSTILE_NUMBERS = [10**20, -(10**20), 2**63, 2**31, 2**64 + 1, 10**300, 1e308, -1e308, 0, -1, 1.5, True]
HOSTILE_TIMES = [
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
    "1700000000", "yesterday", "2026-13-01T00:00:00Z", "10000-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
]  # fmt: skip
DEEP: Any = "bottom"
for _ in range(70):  # past the 64 levels any door takes
    DEEP = [DEEP]

text = st.text(max_size=12)
hostile_text = st.sampled_from(HOSTILE_TEXT)
hostile_number = st.sampled_from(HOSTILE_NUMBERS)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text
json_values = st.recursive(
    scalars | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text | hostile_text, inner, max_size=3),
    max_leaves=8,
)
hostile = st.one_of(
    hostile_text, hostile_number, st.sampled_from(HOSTILE_TIMES), json_values,
    st.integers(0, 9).flatmap(lambda n: st.just(DEEP) if n == 0 else json_values),
)  # fmt: skip


def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid value, one time in ten anything at all."""
    return st.integers(0, 9).flatmap(lambda n: hostile if n == 0 else valid)


def record(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An item whose required fields may still go missing now and then (a mutated delivery)."""
    whole = st.fixed_dictionaries(
        {k: field(v) for k, v in required.items()}, optional={k: field(v) for k, v in optional.items()}
    )
    partial = st.fixed_dictionaries({}, optional={k: field(v) for k, v in {**required, **optional}.items()})
    return st.integers(0, 9).flatmap(lambda n: partial if n == 0 else whole)


people = st.sampled_from(["u-1", "u-2", "u-3", 42, 10**20])
emails = st.sampled_from(["ada@example.com", "ADA@example.com", "bo@example.org"])
names = st.sampled_from(["Order Completed", "Product Added", "Signed Up"])
iso_times = st.sampled_from(["2026-01-01T00:00:00Z", "2026-03-01T12:00:00+01:00", "2025-12-31T23:59:59.5Z"])
properties = st.dictionaries(st.sampled_from(["total", "sku", "plan", "nested"]), json_values, max_size=3)

SEGMENT_FIELDS: dict[str, Any] = {
    "anonymousId": st.sampled_from(["anon-1", "anon-2"]),
    "messageId": st.uuids().map(str),
    "timestamp": iso_times,
    "sentAt": iso_times,
    "properties": properties,
    "traits": st.fixed_dictionaries({}, optional={"email": emails, "plan": st.sampled_from(["pro", None])}),
    "context": st.fixed_dictionaries({}, optional={"timezone": text, "traits": properties}),
    "name": text,
}
segment_types = st.sampled_from(["track", "track", "identify", "page", "screen", "alias", "group"])
segment_message = record({"userId": people, "event": names}, SEGMENT_FIELDS)
segment_batch_message = record({"type": segment_types, "userId": people, "event": names}, SEGMENT_FIELDS)
segment_body = st.tuples(
    st.sampled_from(["track", "identify", "page", "screen", "batch", "batch"]),
    segment_message,
    st.integers(0, 9).flatmap(lambda n: st.lists(segment_batch_message, min_size=n > 0, max_size=6)),
    st.fixed_dictionaries({}, optional={"sentAt": field(iso_times), "context": field(properties)}),
)

generic_event = record(
    {"event": names, "user_id": people},
    {
        "email": emails,
        "anonymous_id": st.sampled_from(["anon-1", "anon-2"]),
        "properties": properties,
        "traits": properties,
        "timestamp": iso_times,
        "colour": text,
    },
)
generic_body = st.one_of(generic_event, st.lists(generic_event, min_size=0, max_size=6))

contact_kinds = st.sampled_from(
    ["contact.creation", "contact.propertyChange", "contact.deletion", "deal.creation"]
)
hubspot_item = record(
    {
        "eventId": st.integers(min_value=1, max_value=10**6),
        "subscriptionId": st.sampled_from([42, 43]),
        "portalId": st.sampled_from([7, 8]),
        "occurredAt": st.just(1767225600000),
        "subscriptionType": contact_kinds | st.just("object.creation"),
        "objectId": st.integers(min_value=1, max_value=10**4),
        "objectTypeId": st.sampled_from(["0-1", "0-1", "0-3"]),  # generic format; legacy ones ignore it
    },
    {
        "propertyName": st.sampled_from(["email", "lifecyclestage"]),
        "propertyValue": emails | text,
        "attemptNumber": st.integers(0, 5),
        "eventType": contact_kinds,
    },
)
hubspot_body = st.lists(hubspot_item, min_size=0, max_size=6) | hubspot_item
hubspot_query = st.lists(st.tuples(text, text), max_size=3)

intercom_person = record(
    {
        "type": st.sampled_from(["contact", "user", "lead", "admin"]),
        "id": st.sampled_from(["6500aa", "6500bb"]),
    },
    {"email": emails, "external_id": people, "custom_attributes": properties, "name": text},
)
intercom_body = record(
    {
        "type": st.just("notification_event"),
        "id": st.uuids().map(lambda u: f"notif_{u}"),
        "topic": st.sampled_from(
            ["contact.user.created", "user.tag.created", "ping", "conversation.user.replied"]
        ),
        "data": st.fixed_dictionaries({"item": intercom_person}),
    },
    {"created_at": st.just(1767225600), "delivery_attempts": st.integers(1, 3)},
)

BODY_DAMAGE = ["none"] * 24 + ["truncated", "nan", "invalid utf-8", "deep", "empty", "not an object"]
SIGNATURE_DAMAGE = ["none"] * 16 + ["forged", "missing", "stale", "wrong secret"]
body_damage = st.sampled_from(BODY_DAMAGE)
signature_damage = st.sampled_from(SIGNATURE_DAMAGE)


def serialise(value: Any, damage: str) -> bytes:
    """The body a sender would put on the wire, damaged on the way as asked."""
    body = json.dumps(value).encode()  # ensure_ascii: surrogates and NUL travel as \\u escapes
    if damage == "truncated":
        return body[: max(1, len(body) // 2)]
    if damage == "nan":
        return body.replace(b"null", b"NaN", 1) if b"null" in body else b"[NaN]"
    if damage == "invalid utf-8":
        return body[:1] + b"\xed\xa0\x80" + body[1:]
    if damage == "deep":
        return b"[" * 70 + body + b"]" * 70
    if damage == "empty":
        return b""
    if damage == "not an object":
        return b'"just text"'
    return body


def stamp_ms(damage: str) -> int:
    """A HubSpot-style signing time; stale by ten minutes when that is the damage."""
    return int(time.time() * 1000) - (600_000 if damage == "stale" else 0)


def clean(damage: str) -> bool:
    return damage == "none"
