"""Scale properties of a cohort sync, shown at test sizes: the statements a sync issues do not
grow with the cohort, and a few thousand members sync exactly, first and again after churn.

The million-member figures are bench/cohort_sync.py's; these keep the properties that make
them possible from regressing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.mixpanel.kinds import MIXPANEL_DISTINCT_ID
from connectors.sdk import Member
from connectors.sdk.fakes.server import FakeServer
from hub.cohorts import sets, staging
from hub.cohorts.applying import target_of
from hub.cohorts.diff import remove_exits
from hub.cohorts.service import create_cohort
from hub.cohorts.sync import Outcome, run_sync
from hub.db import db, utcnow
from hub.models import CohortMember, Event, Identity, Profile, StagedMember
from tests.connectors.conftest import (
    Sleeps,
    add_connection,
    cohort_events,
    cohort_refs,
    start_fake,
    stored_refs,
)

PAGE = 1000
NOT_COUNTED = ("UPDATE runs SET stats", "UPDATE cohorts SET lease_until", "SAVEPOINT", "RELEASE SAVEPOINT")
"""The run's figures and the lease (written with the first page, then once a second, however
many pages that is) and the savepoint around each page's COPY on PostgreSQL."""


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    """The statements this thread sends through `engine` meanwhile, not the evaluation jobs the
    sync hands its events to (PostgreSQL's COPY, one per page, is not a statement here)."""
    seen: list[str] = []
    me = threading.get_ident()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == me and not statement.lstrip().startswith(NOT_COUNTED):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def churn(fake: FakeServer, ref: str, every: int) -> tuple[list[str], list[str]]:
    """Every `every`th member leaves, and as many new ones join."""
    leaving = sorted(cohort_refs(fake, ref))[::every]
    for member_id in leaving:
        fake.remove_member(ref, member_id)
    return [fake.add_member(ref) for _ in leaving], leaving


def sync_twice(app: Flask, size: int) -> tuple[Outcome, int, Outcome, int]:
    """A first sync and a re-sync after 2% churn, each with the statements it sent."""
    fake = start_fake("mixpanel", size)
    try:
        connection_id = add_connection(app, "mixpanel", fake, label=str(size), page_size=PAGE)
        ref = fake.source_ref(0)
        with app.app_context():
            cohort_id = create_cohort(connection_id, ref, "Everyone").id
            db.session.commit()
            with statements(db.engine) as first_sent:
                first = run_sync(cohort_id)
            churn(fake, ref, 50)
            with statements(db.engine) as again_sent:
                again = run_sync(cohort_id)
            assert stored_refs(cohort_id) == cohort_refs(fake, ref)
    finally:
        fake.stop()
    return first, len(first_sent), again, len(again_sent)


def test_a_sync_sends_the_same_statements_whatever_the_size_of_the_cohort(app: Flask, sleeps: Sleeps) -> None:
    small = sync_twice(app, 300)
    large = sync_twice(app, 3 * PAGE)
    extra_pages = large[0].stats["pages"] - small[0].stats["pages"]
    assert extra_pages >= 2 and large[0].stats["entered"] == 10 * small[0].stats["entered"]
    assert large[2].stats["entered"] == large[2].stats["exited"] == 3 * PAGE // 50
    # at most one statement per page (SQLite: the page's insert; PostgreSQL's COPY is not counted)
    assert large[1] - small[1] <= extra_pages
    assert large[3] - small[3] <= extra_pages
    assert small[1] < 70 and small[3] < 70


def test_a_few_thousand_members_sync_exactly_first_and_after_churn(app: Flask, sleeps: Sleeps) -> None:
    fake = start_fake("mixpanel", 3000)
    try:
        connection_id = add_connection(app, "mixpanel", fake, page_size=PAGE, properties="plan,$name")
        ref = fake.source_ref(0)
        with app.app_context():
            cohort_id = create_cohort(connection_id, ref, "Everyone").id
            db.session.commit()
            first = run_sync(cohort_id)
            # three full pages, and the empty one that tells a full last page from a longer walk
            assert (first.stats["entered"], first.stats["members"], first.stats["pages"]) == (3000, 3000, 4)
            assert all(first.stats[part] >= 0 for part in ("fetch_s", "stage_s", "diff_s", "write_s"))
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile)) == 3000
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 6000
            some = fake.member_id(1234)
            person = fake.person(some)
            profile = db.session.scalars(
                sa.select(Profile)
                .join(CohortMember, CohortMember.profile_id == Profile.id)
                .where(CohortMember.member_ref == some)
            ).one()
            assert profile.traits == {"plan": person.plan, "$name": f"{person.first_name} {person.last_name}"}

            joined, left = churn(fake, ref, 50)
            seen = len(cohort_events(cohort_id))
            again = run_sync(cohort_id)
            assert (again.stats["entered"], again.stats["exited"], again.stats["members"]) == (60, 60, 3000)
            assert sorted(cohort_events(cohort_id)[seen:]) == sorted(
                [("cohort_entered", m) for m in joined] + [("cohort_exited", m) for m in left]
            )
            assert stored_refs(cohort_id) == cohort_refs(fake, ref)
            exits = db.session.scalars(sa.select(Event).where(Event.name == "cohort_exited")).all()
            entry_of = {
                e.properties["member_ref"]: e.profile_id
                for e in db.session.scalars(sa.select(Event).where(Event.name == "cohort_entered"))
            }
            assert all(e.profile_id == entry_of[e.properties["member_ref"]] for e in exits)
            assert db.session.scalar(sa.select(sa.func.count()).select_from(StagedMember)) == 0

            quiet = run_sync(cohort_id)
            assert (quiet.stats["entered"], quiet.stats["exited"]) == (0, 0)
    finally:
        fake.stop()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_snapshot_diff_plans_with_what_it_staged_not_with_stale_statistics(
    app: Flask, sleeps: Sleeps
) -> None:
    """The million-member re-sync once ran for hours: autovacuum had sampled the staging table while
    an earlier run filled it, so the planner expected no rows of this run and anti-joined every
    member against every staged ref in a nested loop. The diff measures both sides first."""
    fake = start_fake("mixpanel", 3000)
    try:
        connection_id = add_connection(app, "mixpanel", fake, page_size=PAGE)
        with app.app_context():
            cohort_id = create_cohort(connection_id, fake.source_ref(0), "Everyone").id
            db.session.commit()
            run_sync(cohort_id)
            members = [
                Member(ref, {MIXPANEL_DISTINCT_ID.name: ref}, {})
                for ref in db.session.scalars(sa.select(CohortMember.member_ref))
            ]
            earlier, this = 10_001, 10_002
            staging.stage(db.session, earlier, cohort_id, members)
            db.session.commit()
            db.session.execute(sa.text("ANALYZE cohort_staging"))  # as autovacuum would, mid-run
            db.session.commit()
            staging.clear(db.session, cohort_id, earlier)
            staging.stage(db.session, this, cohort_id, members)
            db.session.commit()
            target = target_of(db.session, cohort_id)
            assert remove_exits(db.session, target, this, utcnow()) == 0
            db.session.execute(sa.text(sets.EXIT_TABLE[sets.PG]))
            plan = db.session.execute(
                sa.text(f"EXPLAIN {sets.FIND_EXITS}"), {"cohort": cohort_id, "run": this}
            ).scalars()
            assert "Nested Loop" not in "\n".join(plan)
            db.session.rollback()
    finally:
        fake.stop()
