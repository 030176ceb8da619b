"""The batch statements of the ingest path keep every value exactly, on SQLite and PostgreSQL.

On PostgreSQL a batch travels as JSON unpacked by the server, so these check what a JSON
round trip could bend: time zones and microseconds, nested and non-ASCII properties, quotes
and backslashes, the order new profile ids come back in, and which claims were won.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub.db import db, utcnow
from hub.inbound import bulk
from hub.models import Event, Identity, Profile
from tests.inbound.support import add_connection

AWKWARD = 'quote " backslash \\ tab \t newline \n emoji 😀 accents éà ß 中文'


def event_row(connection_id: int, external_id: str, profile_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "connection_id": connection_id,
        "external_id": external_id,
        "name": extra.get("name", "Checkout Started"),
        "profile_id": profile_id,
        "properties": extra.get("properties", {}),
        "occurred_at": extra.get("occurred_at", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        "received_at": extra.get("received_at", utcnow()),
    }


def test_events_keep_their_values_and_a_stored_id_is_skipped(app: Flask) -> None:
    connection_id, _ = add_connection(app, "tracking", "web")
    tokyo = timezone(timedelta(hours=9))
    properties = {"cart": {"items": [1, 2.5, None, True], "note": AWKWARD}, AWKWARD: "key", "n": 10**15}
    with app.app_context():
        connection = db.session.connection()
        (profile_id,) = bulk.new_profiles(connection, [{}], utcnow())
        first = bulk.insert_events(
            connection,
            [
                event_row(
                    connection_id,
                    f"e-1 {AWKWARD}",
                    profile_id,
                    name=AWKWARD,
                    properties=properties,
                    occurred_at=datetime(2026, 11, 23, 19, 0, 0, 123456, tzinfo=tokyo),
                ),
                event_row(connection_id, "e-2", profile_id),
            ],
        )
        again = bulk.insert_events(
            connection,
            [event_row(connection_id, "e-2", profile_id), event_row(connection_id, "e-3", profile_id)],
        )
        db.session.commit()
        assert sorted(e for _, _, e in first) == ["e-1 " + AWKWARD, "e-2"]
        assert [e for _, _, e in again] == ["e-3"]
        assert all(p == profile_id for _, p, _ in first + again)
        stored = db.session.scalars(sa.select(Event).where(Event.external_id == f"e-1 {AWKWARD}")).one()
        assert (stored.name, stored.properties) == (AWKWARD, properties)
        assert stored.occurred_at == datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
        assert stored.id == next(i for i, _, e in first if e == stored.external_id)


def test_new_profile_ids_come_back_in_the_order_of_their_traits(app: Flask) -> None:
    traits = [{"n": index, "note": AWKWARD} for index in range(250)]
    with app.app_context():
        ids = bulk.new_profiles(db.session.connection(), traits, utcnow())
        db.session.commit()
        query = sa.select(Profile.id, Profile.traits).where(Profile.id.in_(ids))
        kept = {profile_id: values for profile_id, values in db.session.execute(query)}
    assert len(set(ids)) == len(traits)
    assert [kept[i] for i in ids] == traits


def test_a_claim_wins_only_the_keys_nobody_holds(app: Flask) -> None:
    with app.app_context():
        connection = db.session.connection()
        first, second = bulk.new_profiles(connection, [{}, {}], utcnow())
        held = ("email", f"ada+{AWKWARD}@example.com")
        assert bulk.claim_keys(connection, [(held, first)], utcnow()) == {held}
        fresh = [(("user_id", f"u-{i}"), second) for i in range(3)]
        assert bulk.claim_keys(connection, sorted([(held, second), *fresh]), utcnow()) == {
            k for k, _ in fresh
        }
        db.session.commit()
        owners = {
            (k, v): p
            for k, v, p in bulk.owners(
                db.session.connection(), [held, ("user_id", "u-1"), ("user_id", "nobody")]
            )
        }
        assert owners == {held: first, ("user_id", "u-1"): second}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 4


def test_known_people_are_inserted_with_the_lookup_and_the_rest_left_to_the_resolver(app: Flask) -> None:
    """One statement on PostgreSQL: every key's owner comes back, and only events whose keys
    all belong to one profile are inserted (a redelivered one is skipped)."""
    connection_id, _ = add_connection(app, "tracking", "web")
    ada, bo = ("user_id", f"ada {AWKWARD}"), ("email", "bo@example.com")
    with app.app_context():
        connection = db.session.connection()
        first, second = bulk.new_profiles(connection, [{}, {}], utcnow())
        bulk.claim_keys(connection, [(bo, second), (ada, first)], utcnow())
        bulk.insert_events(connection, [event_row(connection_id, "again", first)])
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", count)
        rows = [
            event_row(connection_id, name, 0, name=name, properties={"note": AWKWARD})
            for name in ("ada", "again", "stranger", "both", "ada-and-new")
        ]
        keys = [[ada], [ada], [("user_id", "nobody")], [bo, ada], [ada, ("anonymous_id", "new")]]
        owner, inserted = bulk.insert_known(connection, rows, keys)
        sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.commit()
        assert owner == {ada: first, bo: second}
        assert [(p, e) for _, p, e in inserted] == [(first, "ada")]
        stored = db.session.scalars(sa.select(Event).where(Event.external_id == "ada")).one()
        assert (stored.id, stored.name, stored.properties) == (inserted[0][0], "ada", {"note": AWKWARD})
        assert [bulk.single_owner(k, owner) for k in keys] == [first, first, None, None, None]
        assert len(statements) == (1 if db.engine.dialect.name == "postgresql" else 2)
