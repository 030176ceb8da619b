"""Every door driven by generated deliveries: valid, mutated and hostile (strategies in hostile.py).

Whatever arrives: no 5xx; a 4xx (in the error shape) stores nothing; a damaged body or
signature is never acknowledged; a 2xx stores exactly what it acknowledged (accepted +
duplicates = the items neither rejected nor ignored, the events table grew by `accepted`,
each under the id its provider gives it); and the same delivery sent again stores nothing
new, except Segment messages with neither messageId nor timestamp, which Segment too
counts anew. Deterministic (derandomize) and bounded, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import gzip
import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hub.db import db
from hub.models import Event
from tests.conftest import close_app, make_app, new_postgres_database
from tests.inbound import hostile
from tests.inbound.support import Doors, basic, counts, hubspot_headers, intercom_headers, standard_headers
from tests.inbound.test_hubspot_fidelity import as_hubspot_signs

EXAMPLES = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
SEQUENCE = itertools.count()
STALE = datetime.now(UTC) - timedelta(minutes=10)
Send = Callable[[], Any]
ExternalId = Callable[[int, Any], str | None]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    """One app per database for all examples: fresh ids per example keep them apart."""
    home = tmp_path_factory.mktemp("properties")
    if request.param == "sqlite":
        target = home / "journeyhub.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres"))
    app = make_app(Path(home), url)
    yield Doors(app)
    close_app(app)


def stored_ids(doors: Doors, connection_id: int, ids: set[str]) -> set[str]:
    with doors.app.app_context():
        return set(
            db.session.scalars(
                sa.select(Event.external_id).where(
                    Event.connection_id == connection_id, Event.external_id.in_(sorted(ids))
                )
            )
        )


def checked(doors: Doors, before: dict[str, int], response: Any, clean: bool) -> bool:
    """No 5xx; a refusal in the error shape that changed nothing. True when acknowledged."""
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code < 400:
        assert clean, "a damaged delivery was acknowledged"
        return True
    assert counts(doors.app) == before
    assert set(response.json) == {"error"} and set(response.json["error"]) == {"code", "message", "details"}
    if response.status_code == 400:
        details = response.json["error"]["details"]
        assert details and all(isinstance(d["field"], str) and d["message"] for d in details)
    return False


def deliver_twice(
    doors: Doors,
    connection_id: int,
    send: Send,
    items: list[Any],
    *,
    clean: bool,
    external_id: ExternalId,
    new_each_time: Callable[[Any], bool] = lambda item: False,
) -> None:
    before = counts(doors.app)
    first = send()
    event(f"answered {first.status_code}")
    if not checked(doors, before, first, clean):
        return
    answer = first.json
    event(
        f"accepted {'some' if answer['accepted'] else 'none'}, rejected {'some' if answer['rejected'] else 'none'}"
    )
    skipped = {r["index"] for r in answer["rejected"] + answer["ignored"]}
    kept = [i for i in range(len(items)) if i not in skipped]
    assert answer["accepted"] + answer["duplicates"] == len(kept)
    assert counts(doors.app)["events"] - before["events"] == answer["accepted"]
    expected = {x for i in kept if (x := external_id(i, items[i])) is not None}
    assert stored_ids(doors, connection_id, expected) == expected
    again_before = counts(doors.app)
    again = send()
    fresh = sum(new_each_time(items[i]) for i in kept)
    assert again.status_code == first.status_code
    assert (again.json["accepted"], again.json["accepted"] + again.json["duplicates"]) == (fresh, len(kept))
    assert counts(doors.app)["events"] - again_before["events"] == fresh


@EXAMPLES
@given(
    body=hostile.segment_body,
    damage=hostile.body_damage,
    auth=hostile.signature_damage,
    encoding=st.sampled_from(["identity"] * 6 + ["gzip", "br"]),
)
def test_the_tracking_api(
    shared: Doors, body: tuple[Any, ...], damage: str, auth: str, encoding: str
) -> None:
    kind, message, batch, envelope = body
    document: Any = {"batch": batch, **envelope} if kind == "batch" else message
    data = hostile.serialise(document, damage)
    key = {"forged": "not-the-key", "missing": ""}.get(auth, shared.write_key)
    headers = {**(basic(key) if key else {}), "Content-Encoding": encoding}
    if encoding == "gzip":  # as Segment's libraries send batches
        data = gzip.compress(data)

    def send() -> Any:
        return shared.client.post(f"/v1/{kind}", data=data, headers=headers)

    deliver_twice(
        shared,
        shared.tracking_id,
        send,
        batch if kind == "batch" else [message],
        clean=hostile.clean(damage) and auth in {"none", "stale", "wrong secret"} and encoding != "br",
        external_id=lambda _, item: item.get("messageId") if isinstance(item.get("messageId"), str) else None,
        new_each_time=lambda item: item.get("messageId") is None and item.get("timestamp") is None,
    )


@EXAMPLES
@given(
    body=hostile.generic_body,
    damage=hostile.body_damage,
    signature=hostile.signature_damage,
    msg=st.sampled_from(["ok"] * 8 + ["long", "control", "missing"]),
)
def test_the_generic_webhook(shared: Doors, body: Any, damage: str, signature: str, msg: str) -> None:
    msg_id = {"long": "m" * 201, "control": "m\x01", "missing": ""}.get(msg, f"msg_{next(SEQUENCE)}")
    data = hostile.serialise(body, damage)
    secret = hostile_secret(shared.generic_secret, signature)

    def send() -> Any:
        headers = standard_headers(secret, data, msg_id or "x", at=STALE if signature == "stale" else None)
        if signature == "forged":
            headers["webhook-signature"] = "v1," + headers["webhook-signature"][3:][::-1]
        if signature == "missing" or not msg_id:
            headers.pop("webhook-signature" if msg_id else "webhook-id")
        return shared.client.post(f"/hooks/generic/{shared.generic_id}", data=data, headers=headers)

    deliver_twice(
        shared,
        shared.generic_id,
        send,
        body if isinstance(body, list) else [body],
        clean=hostile.clean(damage) and hostile.clean(signature) and msg == "ok",
        external_id=lambda i, _: f"{msg_id}:{i}" if isinstance(body, list) else msg_id,
    )


@EXAMPLES
@given(
    body=hostile.hubspot_body,
    damage=hostile.body_damage,
    signature=hostile.signature_damage,
    query=hostile.hubspot_query,
)
def test_the_hubspot_webhook(
    shared: Doors, body: Any, damage: str, signature: str, query: list[tuple[str, str]]
) -> None:
    data = hostile.serialise(body, damage)
    target = f"/hooks/hubspot/{shared.hubspot_id}" + (
        f"?{urlencode(query, quote_via=quote)}" if query else ""
    )
    secret = hostile_secret(Doors.HUBSPOT_SECRET, signature)

    def send() -> Any:
        uri = as_hubspot_signs(f"http://localhost{target}")
        headers = hubspot_headers(secret, "POST", uri, data, hostile.stamp_ms(signature))
        if signature == "forged":
            headers["X-HubSpot-Signature-v3"] = headers["X-HubSpot-Signature-v3"][::-1]
        if signature == "missing":
            del headers["X-HubSpot-Signature-v3"]
        return shared.client.post(target, data=data, headers=headers)

    deliver_twice(
        shared,
        shared.hubspot_id,
        send,
        body if isinstance(body, list) else [body],
        clean=hostile.clean(damage) and hostile.clean(signature),
        external_id=lambda _, item: ":".join(
            "" if item.get(k) is None else str(item[k]) for k in ("portalId", "subscriptionId", "eventId")
        ),
    )


@EXAMPLES
@given(body=hostile.intercom_body, damage=hostile.body_damage, signature=hostile.signature_damage)
def test_the_intercom_webhook(shared: Doors, body: dict[str, Any], damage: str, signature: str) -> None:
    data = hostile.serialise(body, damage)
    headers = intercom_headers(hostile_secret(Doors.INTERCOM_SECRET, signature), data)
    if signature == "forged":
        headers["X-Hub-Signature"] = "sha1=" + headers["X-Hub-Signature"][5:][::-1]
    if signature == "missing":
        del headers["X-Hub-Signature"]

    def send() -> Any:
        return shared.client.post(f"/hooks/intercom/{shared.intercom_id}", data=data, headers=headers)

    deliver_twice(
        shared,
        shared.intercom_id,
        send,
        [body],
        # Intercom sends no timestamp: a "stale" delivery is simply a redelivery
        clean=hostile.clean(damage) and signature in {"none", "stale"},
        external_id=lambda _, item: item["id"] if isinstance(item.get("id"), str) else None,
    )


def hostile_secret(secret: str, damage: str) -> str:
    if damage != "wrong secret":
        return secret
    return "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" if secret.startswith("whsec_") else "not-" + secret
