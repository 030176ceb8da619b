"""Identity resolution: every key a system knows a person by leads to one profile, and merges leave a trail."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.registry import identity_kinds
from connectors.sdk import JourneyEvent
from connectors.sdk.identity import MAX_VALUE_LEN, keys_of
from hub.db import db
from hub.inbound.identity import current_profile_id
from hub.inbound.store import Stored, commit_events
from hub.models import Connection, Event, Identity, Profile, ProfileMerge
from tests.inbound.support import add_connection

SEQUENCE = itertools.count()
ALL_KINDS = {
    "email": "Ada@Example.COM",
    "user_id": "u-1",
    "anonymous_id": "anon-1",
    "hubspot_contact": "501",
    "intercom_contact": "6500aa",
    "salesforce_contact": "0035e00000AbCdE",
    "salesforce_lead": "00Q5e00000XyZ12",
    "mixpanel_distinct_id": "mp-distinct-1",
    "amplitude_id": "356896327775",
}


def event(
    identities: dict[str, Any], traits: dict[str, Any] | None = None, name: str = "seen"
) -> JourneyEvent:
    return JourneyEvent(
        external_id=f"e-{next(SEQUENCE)}",
        name=name,
        identities=identities,
        occurred_at=datetime.now(UTC),
        traits=traits or {},
    )


def send(app: Flask, *events: JourneyEvent, connection: str = "tracking") -> Stored:
    """Through one connection per app and name, so per-account ids find their profile again."""
    with app.app_context():
        connection_id = db.session.scalar(sa.select(Connection.id).where(Connection.name == connection))
    if connection_id is None:
        connection_id, _ = add_connection(app, "tracking", connection)
    with app.app_context():
        return commit_events(db.session, connection_id, list(events))


def stored_value(app: Flask, kind: str, value: str, connection: str = "tracking") -> str:
    """How a key is kept: ids unique only inside one account carry their connection."""
    if not identity_kinds()[kind].per_account:
        return value.lower() if kind == "email" else value
    with app.app_context():
        connection_id = db.session.scalar(sa.select(Connection.id).where(Connection.name == connection))
    return f"{connection_id}:{value}"


def profile_keys(app: Flask) -> dict[int, set[tuple[str, str]]]:
    with app.app_context():
        found: dict[int, set[tuple[str, str]]] = {}
        for kind, value, owner in db.session.execute(
            sa.select(Identity.kind, Identity.value, Identity.profile_id)
        ):
            found.setdefault(owner, set()).add((kind, value))
        return found


def test_the_covered_kinds_are_every_declared_kind() -> None:
    assert set(ALL_KINDS) == set(identity_kinds())


def test_every_kind_finds_its_profile_again(app: Flask) -> None:
    firsts = {kind: send(app, event({kind: value})).profile_ids[0] for kind, value in ALL_KINDS.items()}
    assert len(set(firsts.values())) == len(ALL_KINDS)
    for kind, value in ALL_KINDS.items():
        again = f"  {value.lower()} " if kind == "email" else value
        assert send(app, event({kind: again})).profile_ids == [firsts[kind]], kind
    assert send(app, event({"user_id": "U-1"})).profile_ids[0] not in firsts.values()  # ids keep their case


def test_one_person_known_to_every_system_is_one_profile(app: Flask) -> None:
    send(app, event({"hubspot_contact": "501", "email": "ada@example.com"}))
    send(app, event({"salesforce_contact": "0035e00000AbCdE", "email": "ADA@example.com"}))
    send(
        app,
        event(
            {
                "salesforce_lead": "00Q5e00000XyZ12",
                "anonymous_id": "anon-1",
                "email": "ada@example.com",
            }
        ),
    )
    send(app, event({"user_id": "u-1", "anonymous_id": "anon-1"}))
    send(app, event({"intercom_contact": "6500aa", "user_id": "u-1"}))
    send(app, event({"mixpanel_distinct_id": "mp-distinct-1", "email": "ada@example.com"}))
    send(app, event({"amplitude_id": "356896327775", "user_id": "u-1"}))
    (keys,) = profile_keys(app).values()
    assert keys == {(k, stored_value(app, k, v)) for k, v in ALL_KINDS.items()}


@pytest.mark.parametrize("kind", sorted(k for k, v in identity_kinds().items() if v.per_account))
def test_the_same_provider_id_in_two_accounts_is_two_people(app: Flask, kind: str) -> None:
    """Contact 501 of one HubSpot portal is not contact 501 of another."""
    first = send(app, event({kind: "501"}), connection="portal-a").profile_ids
    second = send(app, event({kind: "501"}), connection="portal-b").profile_ids
    again = send(app, event({kind: "501"}), connection="portal-a").profile_ids
    assert first == again != second
    keys = profile_keys(app)
    assert keys[first[0]] == {(kind, stored_value(app, kind, "501", "portal-a"))}
    assert keys[second[0]] == {(kind, stored_value(app, kind, "501", "portal-b"))}


def test_two_accounts_still_meet_through_a_shared_email(app: Flask) -> None:
    send(app, event({"hubspot_contact": "501", "email": "ada@example.com"}), connection="portal-a")
    send(app, event({"hubspot_contact": "777", "email": "ada@example.com"}), connection="portal-b")
    (keys,) = profile_keys(app).values()
    assert {k for k in keys if k[0] == "hubspot_contact"} == {
        ("hubspot_contact", stored_value(app, "hubspot_contact", "501", "portal-a")),
        ("hubspot_contact", stored_value(app, "hubspot_contact", "777", "portal-b")),
    }


def test_an_event_naming_two_profiles_merges_them_into_the_older(app: Flask) -> None:
    older = send(app, event({"user_id": "u-7"}, {"plan": "trial", "country": "FR"})).profile_ids[0]
    younger = send(app, event({"email": "bo@example.com"}, {"plan": "pro", "segment": "smb"})).profile_ids[0]
    assert older < younger
    stored = send(app, event({"user_id": "u-7", "email": "bo@example.com"}, {"timezone": "Europe/Paris"}))
    assert stored.profile_ids == [older]
    with app.app_context():
        assert set(db.session.scalars(sa.select(Event.profile_id))) == {older}
        assert db.session.get(Profile, younger) is None
        survivor = db.session.get(Profile, older)
        assert survivor is not None
        assert survivor.traits == {
            "plan": "pro",
            "country": "FR",
            "segment": "smb",
            "timezone": "Europe/Paris",
        }
        merge = db.session.scalars(sa.select(ProfileMerge)).one()
        assert (merge.survivor_id, merge.merged_profile_id) == (older, younger)
        assert merge.reason == {"keys": [["email", "bo@example.com"], ["user_id", "u-7"]]}
    assert profile_keys(app) == {older: {("user_id", "u-7"), ("email", "bo@example.com")}}


def test_a_known_persons_event_follows_a_merge_made_later_in_its_batch(app: Flask) -> None:
    """The first event is stored with the lookup (its one key is known); the second then merges
    that profile into an older one, and the first's traits and figures go to the survivor."""
    older = send(app, event({"user_id": "u-8"}, {"plan": "trial"})).profile_ids[0]
    younger = send(app, event({"email": "di@example.com"})).profile_ids[0]
    stored = send(
        app,
        event({"email": "di@example.com"}, {"plan": "pro"}),
        event({"user_id": "u-8", "email": "di@example.com"}, {"seats": 2}),
    )
    assert (len(stored.event_ids), stored.profile_ids) == (2, [older])
    with app.app_context():
        assert set(db.session.scalars(sa.select(Event.profile_id))) == {older}
        assert db.session.get(Profile, younger) is None
        survivor = db.session.get(Profile, older)
        assert survivor is not None and survivor.traits == {"plan": "pro", "seats": 2}


def test_one_batch_joins_its_events_into_one_person_without_merges(app: Flask) -> None:
    """Keys first seen apart but linked later in the same batch never make two profiles."""
    stored = send(
        app,
        event({"email": "cy@example.com"}, {"plan": "a"}),
        event({"user_id": "u-9"}, {"seats": 3}),
        event({"anonymous_id": "anon-9"}),
        event({"user_id": "u-9", "email": "cy@example.com", "anonymous_id": "anon-9"}, {"plan": "b"}),
    )
    assert len(stored.event_ids) == 4
    with app.app_context():
        (owner,) = set(db.session.scalars(sa.select(Event.profile_id)))
        profile = db.session.get(Profile, owner)
        assert profile is not None and profile.traits == {"plan": "b", "seats": 3}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileMerge)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile)) == 1
    assert len(profile_keys(app)[owner]) == 3


def test_a_merged_profile_leads_to_its_final_survivor_after_chained_merges(app: Flask) -> None:
    first = send(app, event({"user_id": "a"})).profile_ids[0]
    second = send(app, event({"user_id": "b"})).profile_ids[0]
    third = send(app, event({"user_id": "c"})).profile_ids[0]
    send(app, event({"user_id": "b", "anonymous_id": "x"}), event({"user_id": "c", "anonymous_id": "x"}))
    send(app, event({"user_id": "a", "anonymous_id": "x"}))
    with app.app_context():
        assert [current_profile_id(db.session, p) for p in (first, second, third)] == [first, first, first]
        trail = {m.merged_profile_id: m.survivor_id for m in db.session.scalars(sa.select(ProfileMerge))}
        assert trail == {third: first, second: first}


def test_duplicate_ids_in_one_batch_and_traits_set_to_none(app: Flask) -> None:
    first = event({"user_id": "d-1"}, {"plan": "pro", "country": "NL"})
    stored = send(app, first, first, event({"user_id": "d-1"}, {"plan": None, "country": "BE"}))
    assert (len(stored.event_ids), stored.duplicates) == (2, 1)
    with app.app_context():
        profile = db.session.scalars(sa.select(Profile)).one()
        assert profile.traits == {"plan": "pro", "country": "BE"}


@pytest.mark.parametrize(
    ("identities", "message"),
    [
        ({}, "at least one identity"),
        ({"email": "   ", "user_id": None}, "at least one identity"),
        ({"shoe_size": "44"}, "unknown identity kind"),
        ({"user_id": "x" * (MAX_VALUE_LEN + 1)}, "longer than"),
    ],
)
def test_unusable_identities_are_refused_before_anything_is_written(
    app: Flask, identities: dict[str, Any], message: str
) -> None:
    connection_id, _ = add_connection(app, "tracking")
    with app.app_context(), pytest.raises(ValueError, match=message):
        commit_events(db.session, connection_id, [event({"user_id": "ok"}), event(identities)])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile)) == 0


def test_keys_are_normalised_once() -> None:
    assert keys_of({"email": " A@B.io ", "user_id": 42, "anonymous_id": ""}) == [
        ("email", "a@b.io"),
        ("user_id", "42"),
    ]
