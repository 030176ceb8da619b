"""The cohort push doors driven by generated deliveries: valid, mutated and hostile (see hostile.py).

Whatever arrives at /hooks/mixpanel or /hooks/amplitude: no 5xx; a refusal is in the door's
shape (Mixpanel's `action`/`status` around our error object, Amplitude's the one error shape),
names fields on a 400 and stores nothing; a damaged body or credential is never acknowledged;
an acknowledged delivery is stored once, sent again it stores nothing; and the job applying it
afterwards never fails. Deterministic and bounded, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from hypothesis import event, given, settings
from hypothesis import strategies as st

from connectors.amplitude.webhook import AmplitudeWebhook
from connectors.mixpanel.webhook import MixpanelWebhook
from connectors.sdk import InboundRequest, PayloadError
from connectors.sdk.identity import keys_of
from hub.db import db
from hub.models import Cohort, PushDelivery
from tests.inbound import hostile, test_properties
from tests.inbound.support import Doors

EXAMPLES = test_properties.EXAMPLES
shared = test_properties.shared
"""The app per database (a module-scoped fixture), as the other doors' properties use it."""

SEQUENCE = itertools.count()
NOW = datetime.now(UTC)
FRESH = "<fresh>"
"""Stands for an id no earlier example used, so each example's first delivery is new."""

ids = st.sampled_from(["d-1", "d-2", "d-3", 42, "user-7"])
mixpanel_member = hostile.record(
    {"mixpanel_distinct_id": ids},
    {
        "email": hostile.emails,
        "first_name": hostile.text,
        "last_name": hostile.text,
        "plan": st.sampled_from(["pro", None]),
        "distinct_id": ids,
        "nested": hostile.properties,
    },
)
page_info = st.integers(1, 3).flatmap(
    lambda total: hostile.record({"total_pages": st.just(total), "page_count": st.integers(1, total)}, {})
)
mixpanel_body = hostile.record(
    {
        "action": st.sampled_from(["members", "add_members", "remove_members"]),
        "parameters": hostile.record(
            {
                "mixpanel_cohort_id": st.sampled_from(["31001", "31002", 31003]),
                "mixpanel_session_id": st.just(FRESH),
                "page_info": page_info,
                "members": st.lists(mixpanel_member, max_size=5),
            },
            {
                "mixpanel_project_id": st.sampled_from([str(Doors.MIXPANEL_PROJECT), "1"]),
                "mixpanel_cohort_name": hostile.text,
                "mixpanel_cohort_description": hostile.text,
            },
        ),
    },
    {},
)
amplitude_user = hostile.record(
    {"user_id": ids},
    {
        "user_properties": st.fixed_dictionaries(
            {},
            optional={
                "email": hostile.emails,
                "plan": st.sampled_from(["pro", None]),
                "n": hostile.json_values,
            },
        ),
        "amplitude_id": st.integers(1, 10**12),
    },
)
amplitude_body = hostile.record(
    {
        "cohort_id": st.sampled_from(["abc1234", "def5678"]),
        "in_cohort": st.booleans(),
        "message_id": st.just(FRESH),
        "users": st.lists(amplitude_user, max_size=5),
    },
    {"cohort_name": hostile.text, "computed_time": st.sampled_from(["1767225600", 1767225600, "soon"])},
)


def fresh(value: Any) -> Any:
    """The body with each FRESH placeholder made unique to this example."""
    if value == FRESH:
        return f"id-{next(SEQUENCE)}"
    if isinstance(value, dict):
        return {k: fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fresh(v) for v in value]
    return value


def stored(doors: Doors) -> tuple[int, int]:
    with doors.app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(PushDelivery)) or 0,
            db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) or 0,
        )


def refused(doors: Doors, before: tuple[int, int], response: Any, wrapped: bool) -> bool:
    """No 5xx; a refusal in the door's shape that stored nothing. True when refused."""
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code < 400:
        return False
    assert stored(doors) == before
    body = response.json
    assert set(body) == ({"action", "status", "error"} if wrapped else {"error"})
    assert set(body["error"]) == {"code", "message", "details"}
    if wrapped:
        assert body["status"] == "failure"
    if response.status_code == 400:
        details = body["error"]["details"]
        assert details and all(isinstance(d["field"], str) and d["message"] for d in details)
    return True


def applied_cleanly(doors: Doors) -> None:
    """The jobs applying what was acknowledged finish, and leave only unfinished snapshots pending."""
    backend = doors.app.extensions["journeyhub.jobs"]
    assert backend.drain(timeout=60) and not backend.failures, list(backend.failures)
    with doors.app.app_context():
        stuck = db.session.scalar(
            sa.select(sa.func.count()).where(
                PushDelivery.status == "pending", PushDelivery.kind != "snapshot"
            )
        )
    assert stuck == 0


def deliver_twice(doors: Doors, send: Any, clean: bool, wrapped: bool) -> Any:
    before = stored(doors)
    first = send()
    event(f"answered {first.status_code}")
    if refused(doors, before, first, wrapped):
        return None
    assert clean, "a damaged delivery was acknowledged"
    after = stored(doors)
    assert after[0] - before[0] <= 1
    again = send()
    assert again.status_code == first.status_code and stored(doors) == after
    applied_cleanly(doors)
    return first.json


@EXAMPLES
@given(body=mixpanel_body, damage=hostile.body_damage, auth=hostile.signature_damage)
def test_the_mixpanel_cohort_webhook(shared: Doors, body: dict[str, Any], damage: str, auth: str) -> None:
    document = fresh(body)
    data = hostile.serialise(document, damage)
    password = {"forged": "not-it", "missing": "", "wrong secret": "also-not-it"}.get(
        auth, Doors.MIXPANEL_PASSWORD
    )
    answer = deliver_twice(
        shared,
        lambda: shared.mixpanel(data, password),
        clean=hostile.clean(damage) and auth in {"none", "stale"},
        wrapped=True,
    )
    if answer is not None:
        assert answer == {"action": document["action"], "status": "success"}


@EXAMPLES
@given(body=amplitude_body, damage=hostile.body_damage, auth=hostile.signature_damage)
def test_the_amplitude_cohort_webhook(shared: Doors, body: dict[str, Any], damage: str, auth: str) -> None:
    document = fresh(body)
    data = hostile.serialise(document, damage)
    secret = {"forged": "not-it", "missing": "", "wrong secret": "also-not-it"}.get(
        auth, Doors.AMPLITUDE_SECRET
    )
    answer = deliver_twice(
        shared,
        lambda: shared.amplitude(data, secret),
        clean=hostile.clean(damage) and auth in {"none", "stale"},
        wrapped=False,
    )
    if answer is not None:
        assert answer["duplicate"] is False and answer["kind"] in {"added", "removed"}


PARSE = settings(max_examples=1000, derandomize=True, deadline=None, database=None)
MIXPANEL_CONFIG = {"project_id": Doors.MIXPANEL_PROJECT}


def pushed_or_refused(parse: Any) -> None:
    """A refusal names a field; a push holds only what the tables take (refs, keys, JSON traits)."""
    try:
        parsed = parse()
    except PayloadError as exc:
        assert exc.field and str(exc)
        return
    push = parsed.cohort_push
    assert push is not None and not parsed.events
    assert 0 < len(push.delivery_key) <= 255 and 0 < len(push.source_ref) <= 2000 and push.name
    for member in push.members:
        assert 0 < len(member.ref) <= 255 and "\x00" not in member.ref
        for key in keys_of(member.identities):  # raises for a value no identity column holds
            key[1].encode("utf-8")
        json.dumps(dict(member.traits), allow_nan=False)
    for note in parsed.rejected:
        assert note.field and note.message


@PARSE
@given(body=mixpanel_body, damage=hostile.body_damage)
def test_mixpanel_pages_parse_or_name_the_field(body: dict[str, Any], damage: str) -> None:
    inbound = InboundRequest("POST", "http://localhost/", {}, hostile.serialise(fresh(body), damage), NOW)
    pushed_or_refused(lambda: MixpanelWebhook().parse(MIXPANEL_CONFIG, inbound))


@PARSE
@given(body=amplitude_body, damage=hostile.body_damage)
def test_amplitude_batches_parse_or_name_the_field(body: dict[str, Any], damage: str) -> None:
    inbound = InboundRequest("POST", "http://localhost/", {}, hostile.serialise(fresh(body), damage), NOW)
    pushed_or_refused(lambda: AmplitudeWebhook().parse({}, inbound))


@PARSE
@given(value=hostile.json_values | hostile.hostile)
def test_any_json_value_in_either_push_door(value: Any) -> None:
    for body in (value, [value], {"action": "members", "parameters": value}, {"users": value}):
        data = hostile.serialise(body, "none")
        inbound = InboundRequest("POST", "http://localhost/", {}, data, NOW)
        pushed_or_refused(lambda: MixpanelWebhook().parse(MIXPANEL_CONFIG, inbound))  # noqa: B023
        pushed_or_refused(lambda: AmplitudeWebhook().parse({}, inbound))  # noqa: B023
