"""The steps of applying pushed deliveries: which comes next, and members leaving by name.

A pull only ever knows the whole membership, so `diff` has no way to remove just the members
a provider names; pushed increments need exactly that, and it lives here beside the choice of
what to apply next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.sdk import PushKind
from hub.cohorts.diff import CHUNK, EXITED, Target, external_id
from hub.db import insert_ignore, utcnow
from hub.inbound.store import EVALUATE_JOB
from hub.models import Cohort, CohortMember, Connection, Event, StagedMember
from hub.models.pushes import PENDING, PushDelivery
from hub.runtime.jobs import enqueue_after_commit


@dataclass(frozen=True)
class Unit:
    """What one transaction applies: a whole snapshot (all its pages) or one batch of increments."""

    cohort_id: int
    kind: PushKind
    ids: list[int]
    session: str | None = None
    occurred_at: datetime | None = None


def next_unit(session: Session, cohort_id: int) -> Unit | None:
    """The oldest pending batch, or the oldest snapshot whose pages have all arrived.

    A snapshot still missing pages is passed over (it counts only once complete), so increments
    sent after it are not held up by a page the provider may never send; applying them
    supersedes it (hub.cohorts.pushed), so its late pages cannot undo them.
    """
    rows = session.execute(
        sa.select(
            PushDelivery.id,
            PushDelivery.kind,
            PushDelivery.session,
            PushDelivery.page,
            PushDelivery.pages,
            PushDelivery.occurred_at,
        )  # fmt: skip
        .where(PushDelivery.cohort_id == cohort_id, PushDelivery.status == PENDING)
        .order_by(PushDelivery.id)
    ).all()
    session.rollback()  # end the read: the unit is applied in a transaction of its own
    pages: dict[str, dict[int, int]] = {}
    wanted: dict[str, int] = {}
    for row in rows:
        if row.kind == PushKind.SNAPSHOT and row.session is not None:
            pages.setdefault(row.session, {}).setdefault(row.page, row.id)
            wanted[row.session] = max(wanted.get(row.session, 1), row.pages)
    for row in rows:
        if row.kind != PushKind.SNAPSHOT:
            return Unit(cohort_id, PushKind(row.kind), [row.id], occurred_at=row.occurred_at)
        got = pages.get(row.session or "", {})
        if all(page in got for page in range(1, wanted[row.session or ""] + 1)):
            return Unit(cohort_id, PushKind.SNAPSHOT, [got[p] for p in sorted(got)], row.session)
    return None


def target_of(session: Session, cohort_id: int) -> Target:
    row = session.execute(
        sa.select(Cohort.connection_id, Connection.connector, Cohort.name, Cohort.source_ref)
        .join(Connection, Connection.id == Cohort.connection_id)
        .where(Cohort.id == cohort_id)
    ).one()
    return Target(cohort_id, row.connection_id, row.connector, row.name, row.source_ref)


def leave(session: Session, target: Target, run_id: int, now: datetime) -> int:
    """Stored members named in the run's staging leave, each with a cohort_exited event on the
    profile they entered as (as a pull's diff writes it), in chunks; evaluated after commit."""
    named = sa.exists().where(
        StagedMember.run_id == run_id, StagedMember.member_ref == CohortMember.member_ref
    )
    done, last_id = 0, 0
    while True:
        rows = session.execute(
            sa.select(CohortMember.id, CohortMember.member_ref, CohortMember.profile_id, CohortMember.traits)
            .where(CohortMember.cohort_id == target.cohort_id, CohortMember.id > last_id, named)
            .order_by(CohortMember.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return done
        received = utcnow()
        events = [_exit(target, run_id, r.member_ref, r.profile_id, r.traits, now, received) for r in rows]
        stored = session.scalars(insert_ignore(session, Event).values(events).returning(Event.id)).all()
        if stored:
            enqueue_after_commit(session, EVALUATE_JOB, sorted(stored))
        session.execute(sa.delete(CohortMember).where(CohortMember.id.in_([r.id for r in rows])))
        done, last_id = done + len(rows), rows[-1].id


def _exit(
    target: Target,
    run_id: int,
    ref: str,
    profile_id: int,
    traits: Mapping[str, Any],
    now: datetime,
    received: datetime,
) -> dict[str, Any]:
    return {
        "connection_id": target.connection_id,
        "external_id": external_id(target, run_id, ref, "exited"),
        "name": EXITED,
        "profile_id": profile_id,
        "properties": {
            "cohort_id": target.cohort_id,
            "cohort_name": target.name,
            "source_ref": target.source_ref,
            "connector": target.connector,
            "member_ref": ref,
            "traits": dict(traits),
        },
        "occurred_at": now,
        "received_at": received,
    }
