"""Staged members against stored membership, in the caller's one transaction.

Both sides stay in the database and are walked in keyset chunks, so a cohort of any size
diffs in bounded memory. Events go through `hub.inbound.store.store_events`, the same idempotent
path as every other source; their external ids carry the run id, so a member who leaves and
comes back later enters again, while a replayed diff of the same run stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.sdk import EMAIL, JourneyEvent
from hub.inbound.store import store_events
from hub.models import CohortMember, Event, StagedMember

CHUNK = 500
ENTERED, EXITED = "cohort_entered", "cohort_exited"


@dataclass(frozen=True)
class Target:
    """What a sync needs to know about its cohort, read once so the long fetch holds no ORM state."""

    cohort_id: int
    connection_id: int
    connector: str
    name: str
    source_ref: str


def external_id(target: Target, run_id: int, member_ref: str, change: str) -> str:
    return f"cohort:{target.cohort_id}:{run_id}:{member_ref}:{change}"


def _event(
    target: Target,
    run_id: int,
    ref: str,
    change: str,
    identities: Mapping[str, Any],
    traits: Mapping[str, Any],
    now: datetime,
) -> JourneyEvent:
    properties = {
        "cohort_id": target.cohort_id,
        "cohort_name": target.name,
        "source_ref": target.source_ref,
        "connector": target.connector,
        "member_ref": ref,
        "traits": dict(traits),
    }
    return JourneyEvent(
        external_id=external_id(target, run_id, ref, change),
        name=ENTERED if change == "entered" else EXITED,
        identities=identities,
        occurred_at=now,
        properties=properties,
        traits=traits if change == "entered" else {},
    )


def _stable(identities: Mapping[str, Any]) -> dict[str, Any]:
    """An email may have moved to someone else since entry; the provider's own id has not."""
    return {k: v for k, v in identities.items() if k != EMAIL.name} or dict(identities)


def remove_exits(session: Session, target: Target, run_id: int, now: datetime) -> int:
    staged = sa.exists().where(
        StagedMember.run_id == run_id, StagedMember.member_ref == CohortMember.member_ref
    )
    done, last_id = 0, 0
    while True:
        rows = session.execute(
            sa.select(CohortMember.id, CohortMember.member_ref, CohortMember.identities, CohortMember.traits)
            .where(CohortMember.cohort_id == target.cohort_id, CohortMember.id > last_id, ~staged)
            .order_by(CohortMember.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return done
        events = [
            _event(target, run_id, r.member_ref, "exited", _stable(r.identities), r.traits, now) for r in rows
        ]
        store_events(session, target.connection_id, events)
        session.execute(sa.delete(CohortMember).where(CohortMember.id.in_([r.id for r in rows])))
        session.flush()
        session.expunge_all()
        done, last_id = done + len(rows), rows[-1].id


def add_entries(session: Session, target: Target, run_id: int, now: datetime) -> int:
    stored = sa.exists().where(
        CohortMember.cohort_id == target.cohort_id, CohortMember.member_ref == StagedMember.member_ref
    )
    done, last_ref = 0, ""
    while True:
        rows = session.execute(
            sa.select(StagedMember.member_ref, StagedMember.identities, StagedMember.traits)
            .where(StagedMember.run_id == run_id, StagedMember.member_ref > last_ref, ~stored)
            .order_by(StagedMember.member_ref)
            .limit(CHUNK)
        ).all()
        if not rows:
            return done
        events = [_event(target, run_id, r.member_ref, "entered", r.identities, r.traits, now) for r in rows]
        store_events(session, target.connection_id, events)
        profile_of = dict(
            session.execute(
                sa.select(Event.external_id, Event.profile_id).where(
                    Event.connection_id == target.connection_id,
                    Event.external_id.in_([e.external_id for e in events]),
                )
            ).all()
        )
        session.execute(
            sa.insert(CohortMember),
            [
                {
                    "cohort_id": target.cohort_id,
                    "member_ref": r.member_ref,
                    "profile_id": profile_of[external_id(target, run_id, r.member_ref, "entered")],
                    "identities": r.identities,
                    "traits": r.traits,
                    "entered_at": now,
                }
                for r in rows
            ],
        )
        session.flush()
        session.expunge_all()
        done, last_ref = done + len(rows), rows[-1].member_ref
