"""The set-based diff resolves members to profiles exactly as every other event is resolved.

Snapshots are staged with `staging.stage` under a run of their own and diffed with
`remove_exits` / `add_entries`, the way a pushed cohort is applied, so these also hold the
functions to what a snapshot that never came from a pull needs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from connectors.sdk import JourneyEvent, Member
from connectors.sdk.fakes.server import FakeServer
from hub.cohorts import staging
from hub.cohorts.diff import Target, add_entries, remove_exits
from hub.cohorts.service import create_cohort
from hub.db import db, utcnow
from hub.inbound.store import store_events
from hub.models import CohortMember, Event, Identity, Profile, ProfileMerge, Run, StagedMember
from tests.connectors.conftest import add_connection, start_fake

EVENTS = itertools.count()


@pytest.fixture
def mixpanel() -> Iterator[FakeServer]:
    server = start_fake("mixpanel", 0)
    yield server
    server.stop()


def new_target(app: Flask, fake: FakeServer, label: str = "fake") -> Target:
    connection_id = add_connection(app, "mixpanel", fake, label=label)
    with app.app_context():
        cohort = create_cohort(connection_id, "3184001", "Power users")
        db.session.commit()
        return Target(cohort.id, connection_id, "mixpanel", "Power users", "3184001")


def member(ref: str, email: str | None = None, **traits: Any) -> Member:
    return Member(ref, {"mixpanel_distinct_id": ref, "email": email}, traits)


def diff(target: Target, members: list[Member]) -> tuple[int, int]:
    """(entered, exited) of one snapshot, applied as a pushed snapshot is."""
    with Session(db.engine, expire_on_commit=False) as session:
        run = Run(kind="cohort_push", subject=f"cohort:{target.cohort_id}", status="running")
        session.add(run)
        session.flush()
        staging.stage(session, run.id, target.cohort_id, members)
        now = utcnow()
        exited = remove_exits(session, target, run.id, now)
        entered = add_entries(session, target, run.id, now)
        staging.clear(session, target.cohort_id, run.id)
        session.commit()
    return entered, exited


def known(connection_id: int, identities: dict[str, Any], traits: dict[str, Any]) -> int:
    """A person the hub heard of before the cohort, through the ordinary ingest path."""
    event = JourneyEvent(f"seen-{next(EVENTS)}", "seen", identities, utcnow(), {}, traits)
    stored = store_events(db.session, connection_id, [event])
    db.session.commit()
    return stored.profile_ids[0]


def profile_of(target: Target, ref: str) -> int:
    return db.session.scalars(
        sa.select(CohortMember.profile_id).where(
            CohortMember.cohort_id == target.cohort_id, CohortMember.member_ref == ref
        )
    ).one()


def keys_of_profile(profile_id: int) -> set[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Identity.kind, Identity.value).where(Identity.profile_id == profile_id)
    )
    return {(kind, value) for kind, value in rows}


def test_known_people_keep_their_profile_and_take_newer_traits(app: Flask, mixpanel: FakeServer) -> None:
    target = new_target(app, mixpanel)
    with app.app_context():
        ada = known(target.connection_id, {"email": "Ada@Example.com"}, {"plan": "free", "seats": 3})
        same = known(target.connection_id, {"email": "grace@example.com"}, {"plan": "pro"})
        before = db.session.get(Profile, same)
        assert before is not None
        unchanged_since = before.updated_at

        snapshot = [member("u1", "ada@example.COM", plan="pro", seats=None, company="ACME")]
        snapshot.append(member("u2", "grace@example.com", plan="pro"))
        assert diff(target, snapshot) == (2, 0)

        db.session.expire_all()
        assert (profile_of(target, "u1"), profile_of(target, "u2")) == (ada, same)
        first = db.session.get(Profile, ada)
        second = db.session.get(Profile, same)
        assert first is not None and second is not None
        assert first.traits == {"plan": "pro", "seats": 3, "company": "ACME"}
        assert second.traits == {"plan": "pro"} and second.updated_at == unchanged_since
        assert keys_of_profile(ada) == {
            ("email", "ada@example.com"),
            ("mixpanel_distinct_id", f"{target.connection_id}:u1"),
        }
        entered = db.session.scalars(sa.select(Event).where(Event.name == "cohort_entered")).all()
        assert {e.profile_id for e in entered} == {ada, same}
        assert diff(target, snapshot) == (0, 0)


def test_new_people_get_profiles_with_their_traits_as_sent(app: Flask, mixpanel: FakeServer) -> None:
    target = new_target(app, mixpanel)
    traits = {
        "flag": True,
        "off": False,
        "nested": {"a": None, "b": [1, "x"]},
        "gone": None,
        "n": 1.5,
        "é": "ü",
    }
    with app.app_context():
        assert diff(
            target, [member("u1", None, **traits), Member("u2", {"mixpanel_distinct_id": " "}, {})]
        ) == (1, 0)
        profile = db.session.get(Profile, profile_of(target, "u1"))
        assert profile is not None
        assert profile.traits == {k: v for k, v in traits.items() if v is not None}
        event = db.session.scalars(sa.select(Event).where(Event.name == "cohort_entered")).one()
        assert event.external_id.startswith(f"cohort:{target.cohort_id}:") and event.external_id.endswith(
            ":u1:entered"
        )
        assert event.properties == {
            "cohort_id": target.cohort_id,
            "cohort_name": "Power users",
            "source_ref": "3184001",
            "connector": "mixpanel",
            "member_ref": "u1",
            "traits": traits,
        }
        stored = db.session.scalars(sa.select(CohortMember)).one()
        assert (stored.identities, stored.traits) == ({"mixpanel_distinct_id": "u1"}, traits)

        assert diff(target, []) == (0, 1)
        exit_event = db.session.scalars(sa.select(Event).where(Event.name == "cohort_exited")).one()
        assert exit_event.profile_id == profile.id and exit_event.properties["traits"] == traits
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StagedMember)) == 0


def test_one_person_twice_and_keys_of_two_profiles_resolve_as_ingest_does(
    app: Flask, mixpanel: FakeServer
) -> None:
    target = new_target(app, mixpanel)
    with app.app_context():
        older = known(target.connection_id, {"email": "a@example.com"}, {"plan": "free"})
        younger = known(target.connection_id, {"mixpanel_distinct_id": "u5"}, {"seats": 2})
        snapshot = [
            member("u3", "twin@example.com"),
            member("u4", "TWIN@example.com"),
            member("u5", "a@example.com"),
        ]
        snapshot += [member(f"plain-{i}", f"plain-{i}@example.com") for i in range(3)]
        assert diff(target, snapshot) == (6, 0)

        db.session.expire_all()
        assert profile_of(target, "u3") == profile_of(target, "u4")
        assert profile_of(target, "u5") == older and db.session.get(Profile, younger) is None
        merge = db.session.scalars(sa.select(ProfileMerge)).one()
        assert (merge.survivor_id, merge.merged_profile_id) == (older, younger)
        survivor = db.session.get(Profile, older)
        assert survivor is not None and survivor.traits == {"plan": "free", "seats": 2}
        events = db.session.scalars(sa.select(Event).where(Event.name == "cohort_entered")).all()
        assert sorted(e.properties["member_ref"] for e in events) == sorted(m.ref for m in snapshot)
        for event in events:
            assert event.profile_id == profile_of(target, event.properties["member_ref"])


def test_ids_unique_only_inside_one_project_stay_apart(app: Flask, mixpanel: FakeServer) -> None:
    one, other = new_target(app, mixpanel, "one"), new_target(app, mixpanel, "other")
    with app.app_context():
        assert diff(one, [member("user-42"), member("shared", "both@example.com")]) == (2, 0)
        assert diff(other, [member("user-42"), member("shared", "both@example.com")]) == (2, 0)
        assert profile_of(one, "user-42") != profile_of(other, "user-42")
        assert profile_of(one, "shared") == profile_of(other, "shared")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_key_claimed_meanwhile_by_another_writer_ends_on_one_profile(
    app: Flask, mixpanel: FakeServer, database_url: str
) -> None:
    """PostgreSQL only: SQLite lets one writer at a time, so nobody can claim a key in the middle of the diff."""
    target = new_target(app, mixpanel)
    rival = sa.create_engine(database_url)

    def claim_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("INSERT INTO identities") and "cohort_entry_key" in statement:
            with rival.begin() as connection:
                now = utcnow()
                profile = connection.scalar(
                    sa.insert(Profile)
                    .values(traits={"via": "webhook"}, created_at=now, updated_at=now)
                    .returning(Profile.id)
                )
                connection.execute(
                    sa.insert(Identity).values(
                        profile_id=profile, kind="email", value="late@example.com", created_at=now
                    )
                )

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", claim_first)
        try:
            assert diff(
                target, [member("u7", "late@example.com", plan="pro"), member("u8", "calm@example.com")]
            ) == (2, 0)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", claim_first)
            rival.dispose()
        owner = db.session.scalars(
            sa.select(Identity.profile_id).where(Identity.value == "late@example.com")
        ).one()
        assert profile_of(target, "u7") == owner
        assert keys_of_profile(owner) == {
            ("email", "late@example.com"),
            ("mixpanel_distinct_id", f"{target.connection_id}:u7"),
        }
        profile = db.session.get(Profile, owner)
        assert profile is not None and profile.traits == {"via": "webhook", "plan": "pro"}
        event = db.session.scalars(sa.select(Event).where(Event.external_id.endswith(":u7:entered"))).one()
        assert event.profile_id == owner
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile)) == 2


def test_a_ref_staged_by_an_earlier_page_counts_once(app: Flask, mixpanel: FakeServer) -> None:
    target = new_target(app, mixpanel)
    with app.app_context(), Session(db.engine) as session:
        run = Run(kind="cohort_sync", subject=f"cohort:{target.cohort_id}", status="running")
        session.add(run)
        session.flush()
        first = [member("a"), member("b"), member("a"), Member("c", {"email": ""}, {})]
        assert staging.stage(session, run.id, target.cohort_id, first) == (2, 1)
        assert staging.stage(session, run.id, target.cohort_id, [member("b"), member("d")]) == (1, 0)
        with pytest.raises(ValueError, match="unknown identity kind 'shoe_size'"):
            staging.stage(session, run.id, target.cohort_id, [Member("e", {"shoe_size": "9"}, {})])
        refs = session.scalars(sa.select(StagedMember.member_ref).where(StagedMember.run_id == run.id))
        assert sorted(refs) == ["a", "b", "d"]


def test_rows_staged_for_a_cohort_deleted_since_go_at_the_next_sync(app: Flask, mixpanel: FakeServer) -> None:
    gone, kept = new_target(app, mixpanel, "gone"), new_target(app, mixpanel, "kept")
    with app.app_context():
        with Session(db.engine) as session:
            for target in (gone, kept):
                run = Run(kind="cohort_sync", subject=f"cohort:{target.cohort_id}", status="running")
                session.add(run)
                session.flush()
                staging.stage(session, run.id, target.cohort_id, [member("a"), member("b")])
            session.execute(sa.text("DELETE FROM cohorts WHERE id = :id"), {"id": gone.cohort_id})
            session.commit()
        with Session(db.engine) as session:
            staging.clear(session, kept.cohort_id)
            session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StagedMember)) == 0
