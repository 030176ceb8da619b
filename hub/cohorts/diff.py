"""Staged members against stored membership, in the caller's one transaction.

Usable for any snapshot staged with `staging.stage` under a run id, pulled or pushed: call
`remove_exits` then `add_entries` with that run id, in one transaction, holding the cohort.

Both sides stay in the database and the diff is a fixed handful of set statements
(`hub.cohorts.sets`), so a cohort of any size diffs in the same number of round trips and in
flat memory; only the ids of the events it stores come back, to be handed to the recipe
engine after commit (`hub.inbound.store.EVALUATE_JOB`, as every other way in does). Members
resolve to profiles as `hub.inbound.identity` resolves events: by their keys, scoped per
connection for per-account kinds, new profiles for new people, and newer traits merged into
known ones. The rare members whose keys belong to two profiles, or who share a key with
another entering member, go through that resolver itself (`store_events`), which merges.

An event's external id carries the run id, so a member who leaves and comes back later
enters again, while a replayed diff of the same run stores nothing twice. A `cohort_entered`
or `cohort_exited` event's properties are `cohort_id`, `cohort_name`, `source_ref`,
`connector`, `member_ref` and the member's `traits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.registry import identity_kinds
from connectors.sdk import JourneyEvent
from hub.cohorts import sets
from hub.cohorts.runs import Split
from hub.db import JSONType
from hub.inbound.store import EVALUATE_JOB, store_events
from hub.models import CohortMember, Event
from hub.runtime.jobs import enqueue_after_commit

CHUNK = 500
"""Members per resolver call on the slow path (merges and shared keys)."""
EVALUATE_BATCH = 1000
"""Event ids per evaluation job."""
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


def remove_exits(
    session: Session, target: Target, run_id: int, now: datetime, split: Split | None = None
) -> int:
    """Stored members not in the run's staging leave, each with a `cohort_exited` event on its profile."""
    sql = _Sql(session, target, run_id, now, split or Split())
    with sql.split.timing("diff"):
        if sql.dialect == sets.PG:
            sql.run(sets.SIDES)
        sql.create("cohort_exit", sets.EXIT_TABLE)
        sql.run(sets.FIND_EXITS)
    with sql.split.timing("write"):
        exited = sql.events(sets.EXIT_EVENTS)
        sql.run(sets.DELETE_EXITS)
        sql.drop("cohort_exit")
    return exited


def add_entries(
    session: Session, target: Target, run_id: int, now: datetime, split: Split | None = None
) -> int:
    """Staged members not stored yet enter: profiles resolved, a `cohort_entered` event each, stored."""
    sql = _Sql(session, target, run_id, now, split or Split())
    with sql.split.timing("diff"):
        sql.create("cohort_entry_key", sets.KEY_TABLE)
        sql.create("cohort_entry", sets.ENTRY_TABLE)
        sql.run(sets.FIND_KEYS)
        sql.run(sets.FIND_ENTRIES)
        if sql.dialect == sets.PG:
            for statement in sets.ANALYZE:  # the planner must know these hold a million rows, not none
                sql.run(statement)
    with sql.split.timing("write"):
        sql.run(sets.NEW_PROFILES)
        claimable = sql.scalar(sets.CLAIMABLE)
        if sql.run(sets.CLAIM_KEYS) != claimable:
            for statement in sets.LOST_CLAIMS:
                sql.run(statement)
        _merge_traits(sql)
        entered = sql.events(sets.ENTRY_EVENTS)
        sql.run(sets.NEW_MEMBERS)
        entered += _resolve_the_rest(sql)
        for table in ("cohort_entry_key", "cohort_entry"):
            sql.drop(table)
    return entered


def _merge_traits(sql: _Sql) -> None:
    """Profiles known before this diff take their entering members' traits, newer values winning."""
    if sql.dialect == sets.PG:
        sql.scalar(sets.LOCK_PROFILES)
    sql.create("cohort_entry_trait", sets.TRAIT_TABLE)
    sql.run(sets.FIND_TRAITS)
    sql.run(sets.UPDATE_TRAITS)
    sql.drop("cohort_entry_trait")


def _resolve_the_rest(sql: _Sql) -> int:
    """The complex entries, through the same resolver as every event: it merges profiles."""
    query = sa.text(sets.COMPLEX).columns(
        sa.column("member_ref", sa.String), sa.column("identities", JSONType), sa.column("traits", JSONType)
    )
    done, after = 0, ""
    while True:
        rows = sql.session.execute(query, {"after": after, "limit": CHUNK}).all()
        if not rows:
            return done
        events = [_entry(sql, r.member_ref, r.identities, r.traits) for r in rows]
        store_events(sql.session, sql.target.connection_id, events)
        profile_of = dict(
            sql.session.execute(
                sa.select(Event.external_id, Event.profile_id).where(
                    Event.connection_id == sql.target.connection_id,
                    Event.external_id.in_([e.external_id for e in events]),
                )
            ).all()
        )
        sql.session.execute(
            sa.insert(CohortMember),
            [
                {
                    "cohort_id": sql.target.cohort_id,
                    "member_ref": r.member_ref,
                    "profile_id": profile_of[event.external_id],
                    "identities": r.identities,
                    "traits": r.traits,
                    "entered_at": sql.now,
                }
                for r, event in zip(rows, events, strict=True)
            ],
        )
        done, after = done + len(rows), rows[-1].member_ref


def _entry(sql: _Sql, ref: str, identities: Mapping[str, Any], traits: Mapping[str, Any]) -> JourneyEvent:
    """The event the set statements write for an entry, as the resolver takes it."""
    target = sql.target
    properties = {
        "cohort_id": target.cohort_id,
        "cohort_name": target.name,
        "source_ref": target.source_ref,
        "connector": target.connector,
        "member_ref": ref,
        "traits": dict(traits),
    }
    return JourneyEvent(
        external_id=external_id(target, sql.run_id, ref, "entered"),
        name=ENTERED,
        identities=identities,
        occurred_at=sql.now,
        properties=properties,
        traits=traits,
    )


class _Sql:
    """One diff's statements, with the parameters they share bound once."""

    def __init__(self, session: Session, target: Target, run_id: int, now: datetime, split: Split) -> None:
        self.session, self.target, self.run_id, self.now, self.split = session, target, run_id, now, split
        self.dialect = session.get_bind().dialect.name
        self.params: dict[str, Any] = {
            "run": run_id,
            "cohort": target.cohort_id,
            "connection": target.connection_id,
            "now": now,
            "prefix": f"{target.connection_id}:",
            "scoped": sorted(name for name, kind in identity_kinds().items() if kind.per_account),
            "ext": external_id(target, run_id, "", "").removesuffix(":"),
            "name": target.name,
            "source_ref": target.source_ref,
            "connector": target.connector,
        }
        if self.dialect == sets.PG:
            self.params["sequence"] = session.scalar(sa.text(sets.PROFILE_SEQUENCE))
            self.run(sets.WORK_MEM)

    def run(self, text: str | Mapping[str, str]) -> int:
        result = self.session.execute(sets.statement(text, self.dialect), self.params)
        return int(result.rowcount)  # type: ignore[attr-defined]

    def scalar(self, text: str) -> int:
        return int(self.session.scalar(sets.statement(text, self.dialect), self.params) or 0)

    def events(self, text: Mapping[str, str]) -> int:
        """Stores the events; their ids go to the recipe engine once the transaction commits."""
        result = self.session.execute(sets.statement(text, self.dialect), self.params)
        stored = 0
        for batch in result.scalars().partitions(EVALUATE_BATCH):
            ids = sorted(batch)
            enqueue_after_commit(self.session, EVALUATE_JOB, ids)
            stored += len(ids)
        return stored

    def create(self, table: str, ddl: Mapping[str, str]) -> None:
        self.drop(table)
        self.run(ddl)

    def drop(self, table: str) -> None:
        self.run(sets.drop(table, self.dialect))
