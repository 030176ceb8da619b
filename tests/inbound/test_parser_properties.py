"""Every receiver's parser, driven by thousands of generated bodies without HTTP or a database.

The HTTP properties (test_properties.py) prove the whole door on both databases but can
afford only a few hundred examples; here each parser meets many more, and what it hands
the hub is held to what the tables take: a parser either refuses the body with a
PayloadError naming a field, or returns events every column and JSON document can store.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.generic.webhook import GenericWebhook
from connectors.hubspot.webhook import HubSpotWebhook
from connectors.intercom.webhook import IntercomWebhook
from connectors.sdk import InboundRequest, JourneyEvent, Parsed, PayloadError
from connectors.sdk.identity import keys_of
from connectors.tracking.segment import SegmentTracking
from tests.inbound import hostile

MANY = settings(
    max_examples=1000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = datetime.now(UTC)
CONFIG = {"properties": "email,lifecyclestage,plan"}


def storable(event: JourneyEvent) -> None:
    """What events.name (200), events.external_id (255), identities and JSONB columns take."""
    assert 0 < len(event.name) <= 200 and 0 < len(event.external_id) <= 255
    for text in (event.name, event.external_id):
        assert "\x00" not in text
        text.encode("utf-8")
    assert keys_of(event.identities), "an event must name its person"
    for key in keys_of(event.identities):
        assert "\x00" not in key[1]
        key[1].encode("utf-8")
    for document in (event.properties, event.traits):
        json.dumps(document, allow_nan=False)  # as the JSON column serialises it: no NaN, no Infinity
        for text in texts(document):
            assert "\x00" not in text
            text.encode("utf-8")  # no lone surrogate
    assert event.occurred_at.tzinfo is not None and 1 <= event.occurred_at.astimezone(UTC).year <= 9999


def texts(value: Any) -> list[str]:
    """Every string in a JSON document, names included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*texts(k), *texts(v))]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


def parsed_or_refused(parse: Any) -> Parsed | None:
    try:
        parsed: Parsed = parse()
    except PayloadError as exc:
        assert exc.field and str(exc)
        return None
    for event in parsed.events:
        storable(event)
    for note in parsed.rejected + parsed.ignored + parsed.warnings:
        assert note.field and note.message
    return parsed


def request(body: bytes, headers: dict[str, str] | None = None) -> InboundRequest:
    return InboundRequest("POST", "http://localhost/hooks/x/1", headers or {}, body, NOW)


@MANY
@given(body=hostile.segment_body, damage=hostile.body_damage)
def test_segment_messages(body: tuple[Any, ...], damage: str) -> None:
    kind, message, batch, envelope = body
    document = {"batch": batch, **envelope} if kind == "batch" else message
    parsed_or_refused(lambda: SegmentTracking().parse(kind, hostile.serialise(document, damage), NOW))


@MANY
@given(
    body=hostile.generic_body,
    damage=hostile.body_damage,
    msg_id=st.sampled_from(["msg_1", "m" * 200, "m" * 201, "m\x01", "é", ""]),
)
def test_generic_events(body: Any, damage: str, msg_id: str) -> None:
    inbound = request(hostile.serialise(body, damage), {"webhook-id": msg_id})
    parsed_or_refused(lambda: GenericWebhook().parse({}, inbound))


@MANY
@given(body=hostile.hubspot_body, damage=hostile.body_damage)
def test_hubspot_notifications(body: Any, damage: str) -> None:
    parsed_or_refused(lambda: HubSpotWebhook().parse(CONFIG, request(hostile.serialise(body, damage))))


@MANY
@given(body=hostile.intercom_body, damage=hostile.body_damage)
def test_intercom_notifications(body: Any, damage: str) -> None:
    parsed_or_refused(lambda: IntercomWebhook().parse({}, request(hostile.serialise(body, damage))))


@MANY
@given(value=hostile.json_values | hostile.hostile)
def test_any_json_value_in_any_door(value: Any) -> None:
    """Not an item at all: a bare value, a list of anything, an object of anything."""
    for body in (value, [value], {"batch": [value]}, {"data": {"item": value}}):
        data = hostile.serialise(body, "none")
        parsed_or_refused(lambda: SegmentTracking().parse("batch", data, NOW))  # noqa: B023
        parsed_or_refused(lambda: SegmentTracking().parse("track", data, NOW))  # noqa: B023
        parsed_or_refused(lambda: GenericWebhook().parse({}, request(data, {"webhook-id": "m"})))  # noqa: B023
        parsed_or_refused(lambda: HubSpotWebhook().parse(CONFIG, request(data)))  # noqa: B023
        parsed_or_refused(lambda: IntercomWebhook().parse({}, request(data)))  # noqa: B023
