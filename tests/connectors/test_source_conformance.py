"""Every cohort source against its own fake: the same promises, whatever the provider.

Parametrised through the registry (conftest.SOURCES), so a new connector with the SOURCE
capability and a fake.py is held to these tests without being named here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.registry import get_connector
from connectors.sdk.fakes.server import FakeServer
from hub.cohorts.service import create_cohort, due_cohort_ids
from hub.cohorts.sync import NotSyncable, SyncFailed, run_sync
from hub.connections import settings, update_settings
from hub.db import db, utcnow
from hub.models import Connection, Identity, Run, StagedMember
from hub.outbound.failures import provider_message
from tests.connectors.conftest import (
    MANY,
    MAX_ATTEMPTS,
    SOURCES,
    Sleeps,
    add_connection,
    cohort_events,
    cohort_refs,
    fail_after_first_page,
    start_fake,
    stored_refs,
    wrong_credentials,
)


def new_cohort(connection_id: int, source_ref: str) -> int:
    cohort = create_cohort(connection_id, source_ref, "Everyone")
    db.session.commit()
    return cohort.id


def first_ref(fake: FakeServer) -> str:
    return str(fake.cohorts()[0]["source_ref"])


def test_the_big_three_are_discovered_through_the_registry() -> None:
    assert {"hubspot", "intercom", "salesforce"} <= set(SOURCES)


def test_pulls_every_member_over_several_pages(
    app: Flask, connector_name: str, fake: FakeServer, sleeps: Sleeps
) -> None:
    connection_id = add_connection(app, connector_name, fake)
    ref = first_ref(fake)
    with app.app_context():
        cohort_id = new_cohort(connection_id, ref)
        outcome = run_sync(cohort_id)

        expected = cohort_refs(fake, ref)
        assert outcome.status == "succeeded", outcome.error
        assert outcome.stats["pages"] >= 3
        assert outcome.stats["members_seen"] == outcome.stats["entered"] == outcome.stats["members"] == MANY
        assert (outcome.stats["exited"], outcome.stats["retries"], sleeps.waits) == (0, 0, [])
        assert len(expected) == MANY and stored_refs(cohort_id) == expected
        assert sorted(cohort_events(cohort_id)) == sorted(("cohort_entered", ref) for ref in expected)

        run = db.session.get(Run, outcome.run_id)
        assert run is not None and (run.kind, run.subject) == ("cohort_sync", f"cohort:{cohort_id}")
        assert run.duration_ms is not None and run.finished_at is not None
        member = sorted(expected)[0]
        # the member's own id: ids unique only inside one account carry their connection
        scoped = (member, f"{connection_id}:{member}")
        owner = db.session.scalars(sa.select(Identity.profile_id).where(Identity.value.in_(scoped))).one()
        kinds = set(db.session.scalars(sa.select(Identity.kind).where(Identity.profile_id == owner)))
        assert "email" in kinds and len(kinds) >= 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StagedMember)) == 0


def test_rate_limit_mid_sync_waits_and_completes(
    app: Flask, connector_name: str, fake: FakeServer, sleeps: Sleeps
) -> None:
    connection_id = add_connection(app, connector_name, fake)
    fake.inject_fault(429, after=2, retry_after=2)
    with app.app_context():
        outcome = run_sync(new_cohort(connection_id, first_ref(fake)))

    assert outcome.status == "succeeded", outcome.error
    assert outcome.stats["entered"] == MANY
    assert (outcome.stats["retries"], outcome.stats["rate_limited_waits"]) == (1, 1)
    # Intercom's reset is a whole epoch second, so the wait it implies can fall a few ms short of 1 s
    assert len(sleeps.waits) == 1 and 0.9 <= sleeps.waits[0] <= 2.5
    assert outcome.stats["waited_s"] == pytest.approx(sleeps.waits[0], abs=1e-3)


def test_server_error_mid_sync_changes_nothing_and_the_retry_completes(
    app: Flask, connector_name: str, fake: FakeServer, sleeps: Sleeps
) -> None:
    connection_id = add_connection(app, connector_name, fake)
    ref = first_ref(fake)
    with app.app_context():
        cohort_id = new_cohort(connection_id, ref)
        before_requests = fake.request_count
        baseline = run_sync(cohort_id)
        first_page_requests = -(-(fake.request_count - before_requests) // baseline.stats["pages"])
        members_before, events_before = stored_refs(cohort_id), cohort_events(cohort_id)
        joined = fake.add_member(ref)
        left = sorted(members_before)[5]
        fake.remove_member(ref, left)
        fail_after_first_page(fake, 500, first_page_requests, times=MAX_ATTEMPTS)

        with pytest.raises(SyncFailed) as failed:
            run_sync(cohort_id)
        attempt = failed.value.outcome
        assert attempt.status == "failed" and "HTTP 500" in (attempt.error or "")
        assert attempt.stats["pages"] >= 1 and attempt.stats["retries"] == MAX_ATTEMPTS - 1
        assert len(sleeps.waits) == MAX_ATTEMPTS - 1 and min(sleeps.waits) > 0
        db.session.expire_all()
        assert stored_refs(cohort_id) == members_before
        assert cohort_events(cohort_id) == events_before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StagedMember)) == 0

        retried = run_sync(cohort_id)
        assert retried.status == "succeeded", retried.error
        assert cohort_events(cohort_id)[len(events_before) :] == [
            ("cohort_exited", left),
            ("cohort_entered", joined),
        ]
        assert stored_refs(cohort_id) == cohort_refs(fake, ref)


def test_rejected_credentials_park_the_connection_until_fixed(
    app: Flask, connector_name: str, small_fake: FakeServer, sleeps: Sleeps
) -> None:
    connection_id = add_connection(
        app, connector_name, small_fake, **wrong_credentials(connector_name, small_fake)
    )
    said = provider_message(small_fake.error(401).get_data())
    with app.app_context():
        cohort_id = new_cohort(connection_id, first_ref(small_fake))
        outcome = run_sync(cohort_id)

        connection = db.session.get(Connection, connection_id)
        assert connection is not None and said
        assert (outcome.status, connection.status, connection.last_error) == (
            "failed",
            "needs_attention",
            said,
        )
        assert said in (outcome.error or "") and "wrong-credential-value" not in (outcome.error or "")
        assert (cohort_events(cohort_id), stored_refs(cohort_id), sleeps.waits) == ([], set(), [])
        assert cohort_id not in due_cohort_ids(utcnow() + timedelta(days=1))
        with pytest.raises(NotSyncable, match="needs attention"):
            run_sync(cohort_id)
        check = get_connector(connector_name).test_connection(settings(connection))
        assert (check.ok, check.message) == (False, said)

        update_settings(connection, dict(small_fake.credentials))
        db.session.commit()
        assert cohort_id in due_cohort_ids(utcnow() + timedelta(days=1))
        assert run_sync(cohort_id).stats["entered"] == len(cohort_refs(small_fake, first_ref(small_fake)))


def test_connection_check_passes_with_good_credentials(
    app: Flask, connector_name: str, small_fake: FakeServer
) -> None:
    connection_id = add_connection(app, connector_name, small_fake)
    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        assert connection is not None
        check = get_connector(connector_name).test_connection(settings(connection))
    assert check.ok and check.message


def test_an_empty_cohort_syncs_to_nothing(app: Flask, connector_name: str, sleeps: Sleeps) -> None:
    empty = start_fake(connector_name, 0)
    try:
        connection_id = add_connection(app, connector_name, empty)
        with app.app_context():
            cohort_id = new_cohort(connection_id, first_ref(empty))
            outcome = run_sync(cohort_id)
            assert outcome.status == "succeeded", outcome.error
            assert outcome.stats["pages"] >= 1
            assert (outcome.stats["entered"], outcome.stats["members"]) == (0, 0)
            assert (cohort_events(cohort_id), stored_refs(cohort_id)) == ([], set())
    finally:
        empty.stop()


def test_a_member_without_email_is_known_by_the_provider_id(
    app: Flask, connector_name: str, small_fake: FakeServer, sleeps: Sleeps
) -> None:
    ref = first_ref(small_fake)
    anonymous = small_fake.add_member(ref, {"email": None})
    connection_id = add_connection(app, connector_name, small_fake)
    with app.app_context():
        cohort_id = new_cohort(connection_id, ref)
        outcome = run_sync(cohort_id)

        assert outcome.status == "succeeded", outcome.error
        assert ("cohort_entered", anonymous) in cohort_events(cohort_id)
        scoped = (anonymous, f"{connection_id}:{anonymous}")
        owner = db.session.scalars(sa.select(Identity.profile_id).where(Identity.value.in_(scoped))).one()
        kinds = set(db.session.scalars(sa.select(Identity.kind).where(Identity.profile_id == owner)))
        assert kinds and "email" not in kinds
