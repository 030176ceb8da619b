"""The naive cohort sync the bench compares with: the same pages, every row through the ORM.

Each fetched member is added to the session and flushed on its own, then the diff walks the
stored and the staged members one by one, asking the database about each and storing each
change's event on its own (`store_events` with one event). It gets the same answers as
`hub.cohorts.sync` on a cohort without merges, which the bench checks; it is what a first
version written without thinking about size looks like, not a strawman that skips work.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.registry import get_connector
from connectors.sdk import JourneyEvent
from hub.cohorts.diff import ENTERED, EXITED, Target, external_id
from hub.connections import settings
from hub.db import db, utcnow
from hub.inbound.store import store_events
from hub.models import Cohort, CohortMember, Event, Run, StagedMember
from hub.outbound import RetryStats, outbound_scope


def naive_sync(cohort_id: int) -> dict[str, Any]:
    """One sync of the cohort, row by row; the figures a run would record."""
    with Session(db.engine, expire_on_commit=False) as session:
        cohort = session.get(Cohort, cohort_id)
        assert cohort is not None
        connection = cohort.connection
        target = Target(cohort.id, connection.id, connection.connector, cohort.name, cohort.source_ref)
        run = Run(
            kind="cohort_sync_naive", subject=f"cohort:{cohort_id}", status="running", started_at=utcnow()
        )
        session.add(run)
        session.commit()
        source = get_connector(target.connector).source
        assert source is not None
        config = settings(connection)
        figures = {"members_seen": 0, "entered": 0, "exited": 0}
        started = time.perf_counter()
        with outbound_scope(RetryStats()):
            for page in source.members(config, target.source_ref):
                for member in page:
                    session.add(
                        StagedMember(
                            run_id=run.id,
                            cohort_id=cohort_id,
                            member_ref=member.ref,
                            identities={k: v for k, v in member.identities.items() if v not in (None, "")},
                            traits=dict(member.traits),
                        )
                    )
                    session.flush()
                    figures["members_seen"] += 1
                session.commit()
                session.expunge_all()
        fetched = time.perf_counter()
        now = utcnow()
        stored = session.scalars(sa.select(CohortMember).where(CohortMember.cohort_id == cohort_id)).all()
        for member in stored:
            if session.get(StagedMember, (run.id, member.member_ref)) is None:
                event = _event(
                    target, run.id, member.member_ref, EXITED, member.identities, member.traits, now
                )
                store_events(session, target.connection_id, [event])
                session.delete(member)
                session.flush()
                figures["exited"] += 1
        staged_refs = session.scalars(sa.select(StagedMember.member_ref).where(StagedMember.run_id == run.id))
        for ref in staged_refs.all():
            known = session.scalar(
                sa.select(CohortMember.id).where(
                    CohortMember.cohort_id == cohort_id, CohortMember.member_ref == ref
                )
            )
            if known is not None:
                continue
            staged = session.get(StagedMember, (run.id, ref))
            assert staged is not None
            event = _event(target, run.id, ref, ENTERED, staged.identities, staged.traits, now)
            store_events(session, target.connection_id, [event])
            profile_id = session.scalar(
                sa.select(Event.profile_id).where(
                    Event.connection_id == target.connection_id, Event.external_id == event.external_id
                )
            )
            session.add(
                CohortMember(
                    cohort_id=cohort_id,
                    member_ref=ref,
                    profile_id=profile_id,
                    identities=staged.identities,
                    traits=staged.traits,
                    entered_at=now,
                )
            )
            session.flush()
            figures["entered"] += 1
        for staged in session.scalars(sa.select(StagedMember).where(StagedMember.run_id == run.id)).all():
            session.delete(staged)
        session.flush()
        run.status, run.finished_at = "succeeded", utcnow()
        session.commit()
        return figures | {
            "fetch_and_stage_s": fetched - started,
            "diff_and_write_s": time.perf_counter() - fetched,
        }


def _event(
    target: Target,
    run_id: int,
    ref: str,
    name: str,
    identities: dict[str, Any],
    traits: dict[str, Any],
    now: datetime,
) -> JourneyEvent:
    change = "entered" if name == ENTERED else "exited"
    return JourneyEvent(
        external_id=external_id(target, run_id, ref, change),
        name=name,
        identities=identities if name == ENTERED else {k: v for k, v in identities.items() if k != "email"},
        occurred_at=now,
        properties={
            "cohort_id": target.cohort_id,
            "cohort_name": target.name,
            "source_ref": target.source_ref,
            "connector": target.connector,
            "member_ref": ref,
            "traits": dict(traits),
        },
        traits=traits if name == ENTERED else {},
    )
