"""Identity resolution: every event belongs to exactly one profile.

A person is known by several keys (email, userId, anonymousId, CRM and analytics ids).
Keys are claimed with INSERT … ON CONFLICT DO NOTHING and read back, never read-then-
written, so two concurrent first events for the same new person end on one profile: the
loser of the race folds its own uncommitted profile into the winner's. When one event's keys
belong to two profiles, the younger profile is merged into the older, with a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.registry import identity_kinds
from connectors.sdk.identity import Key, keys_of
from hub.db import Base, utcnow
from hub.inbound import bulk
from hub.models import Identity, Profile, ProfileMerge


def keys_for(identities: Mapping[str, Any], connection_id: int) -> list[Key]:
    """The keys of one event from one connection.

    Ids unique only inside one account of their system (`IdentityKind.per_account`) are kept
    as `<connection id>:<id>`, so contact 123 of two HubSpot portals stays two people (they
    still meet through a shared email). A kind no connector declared is a bug in that
    connector, not bad input.
    """
    kinds = identity_kinds()
    unknown = set(identities) - kinds.keys()
    if unknown:
        raise ValueError(f"unknown identity kind {sorted(unknown)[0]!r}: declare it in the connector's spec")
    return sorted(
        (kind, f"{connection_id}:{value}" if kinds[kind].per_account else value)
        for kind, value in keys_of(identities)
    )


class Resolver:
    """Resolves a whole batch of events to profile ids in a handful of statements.

    Events of one batch that share a key are one person. Keys are read in one query, new
    people get their profiles in one INSERT, and all unclaimed keys are claimed in one
    INSERT … ON CONFLICT DO NOTHING in (kind, value) order, so concurrent batches take their
    index locks in the same order and wait for each other instead of deadlocking.
    """

    def __init__(
        self, session: Session, owner: Mapping[Key, int] | None = None, looked_up: Iterable[Key] = ()
    ) -> None:
        """`owner` holds the keys already read in this transaction; `looked_up` also those found unheld."""
        self.session = session
        self.owner: dict[Key, int] = dict(owner or {})
        self.looked_up: set[Key] = set(looked_up) | self.owner.keys()
        self.merged_into: dict[int, int] = {}
        self.created: set[int] = set()

    def current(self, profile_id: int) -> int:
        """Where a profile resolved earlier in this batch lives now, after any later merge."""
        while profile_id in self.merged_into:
            profile_id = self.merged_into[profile_id]
        return profile_id

    def resolve_batch(self, key_lists: list[list[Key]], traits: list[Mapping[str, Any]]) -> list[int]:
        """One profile id per entry of `key_lists`; new profiles start with their events' traits."""
        if any(not keys for keys in key_lists):
            raise ValueError("an event needs at least one identity")
        self._load(sorted({k for keys in key_lists for k in keys} - self.looked_up))
        groups = _people(key_lists)
        new_groups = [g for g in groups if not any(k in self.owner for k in g.keys)]
        fresh = self._new_profiles([_traits_of(g.members, traits) for g in new_groups])
        target = {id(g): p for g, p in zip(new_groups, fresh, strict=True)}
        for group in groups:
            if id(group) not in target:
                target[id(group)] = min(self.owner[k] for k in group.keys if k in self.owner)
        claims = sorted((k, target[id(g)]) for g in groups for k in g.keys if k not in self.owner)
        self._claim(claims)
        self._discard_lost(groups, target)
        people: dict[int, int] = {}
        for group in groups:
            survivor = self._settle(group.keys)
            for index in group.members:
                people[index] = survivor
        return [self.current(people[i]) for i in range(len(key_lists))]

    def _discard_lost(self, groups: list[_Person], target: dict[int, int]) -> None:
        """New profiles that lost the race for their person to a concurrent batch go, in two statements.

        Such a profile was never visible to anyone: the keys it did win move to the winner.
        """
        lost = {}
        for group in groups:
            intended = target[id(group)]
            owners = {self.owner[k] for k in group.keys}
            if intended in self.created and owners != {intended}:
                lost[intended] = min(owners - {intended})
        if not lost:
            return
        connection = self.session.connection()
        connection.execute(_MOVE_KEYS, [{"fresh": f, "winner": w} for f, w in sorted(lost.items())])
        connection.execute(sa.delete(Profile).where(Profile.id.in_(sorted(lost))))
        self.created -= lost.keys()
        self.merged_into.update(lost)
        self.owner = {key: lost.get(owner, owner) for key, owner in self.owner.items()}

    def _settle(self, keys: list[Key]) -> int:
        """After the claim, folds whatever profiles now own this person's keys into the oldest."""
        owners = {self.current(self.owner[k]) for k in keys}
        survivor = min(owners)
        for other in sorted(owners - {survivor}):
            merge(self.session, survivor, other, reason={"keys": [list(k) for k in keys]})
            self.merged_into[other] = survivor
        return survivor

    def _load(self, keys: list[Key]) -> None:
        self.looked_up.update(keys)
        connection = self.session.connection()
        for chunk in _chunks(keys, 500):
            for kind, value, profile_id in bulk.owners(connection, chunk):
                self.owner[(kind, value)] = profile_id

    def _new_profiles(self, traits: list[dict[str, Any]]) -> list[int]:
        if not traits:
            return []
        ids = bulk.new_profiles(self.session.connection(), traits, utcnow())
        self.created.update(ids)
        return ids

    def _claim(self, claims: list[tuple[Key, int]]) -> None:
        """Claims in one statement; only the keys someone else holds are read back."""
        if not claims:
            return
        won = bulk.claim_keys(self.session.connection(), claims, utcnow())
        for key, profile_id in claims:
            if key in won:
                self.owner[key] = profile_id
        self._load([key for key, _ in claims if key not in won])


@dataclass
class _Person:
    keys: list[Key]
    members: list[int]


def _people(key_lists: list[list[Key]]) -> list[_Person]:
    """Events connected through any shared key belong to one person (union-find over keys)."""
    parent = list(range(len(key_lists)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[Key, int] = {}
    for index, keys in enumerate(key_lists):
        for key in keys:
            if key in first_with:
                parent[root(index)] = root(first_with[key])
            else:
                first_with[key] = index
    people: dict[int, _Person] = {}
    for index, keys in enumerate(key_lists):
        person = people.setdefault(root(index), _Person([], []))
        person.members.append(index)
        person.keys.extend(k for k in keys if k not in person.keys)
    return list(people.values())


def _traits_of(members: list[int], traits: list[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for index in members:
        merged.update({k: v for k, v in traits[index].items() if v is not None})
    return merged


def merge(session: Session, survivor_id: int, merged_id: int, reason: dict[str, Any]) -> None:
    """Moves everything that points at `merged_id` to `survivor_id`, merges traits, records it.

    Every column with a foreign key to profiles.id follows, so tables added later (invites,
    cohort memberships) move with the profile without this function knowing them.
    """
    if survivor_id == merged_id:
        return
    profiles = {
        p.id: p
        for p in session.scalars(
            sa.select(Profile).where(Profile.id.in_([survivor_id, merged_id])).with_for_update()
        )
    }
    if merged_id not in profiles or survivor_id not in profiles:
        return
    for table, column in _profile_references():
        session.execute(sa.update(table).where(column == merged_id).values({column.name: survivor_id}))
    survivor, merged = profiles[survivor_id], profiles[merged_id]
    newer, older = (merged, survivor) if merged.updated_at >= survivor.updated_at else (survivor, merged)
    survivor.traits = {**older.traits, **newer.traits}
    survivor.updated_at = utcnow()
    session.add(ProfileMerge(survivor_id=survivor_id, merged_profile_id=merged_id, reason=reason))
    # earlier merges into the profile now going away would vanish with it (ON DELETE CASCADE)
    session.execute(
        sa.update(ProfileMerge).where(ProfileMerge.survivor_id == merged_id).values(survivor_id=survivor_id)
    )
    session.flush()
    session.execute(sa.delete(Profile).where(Profile.id == merged_id))
    session.expunge(merged)


def update_traits(session: Session, changes: Mapping[int, Mapping[str, Any]]) -> None:
    """Newer values win; None removes nothing (a system that does not know a trait keeps quiet).

    The batch's profiles are read in one statement, locked in id order so concurrent batches
    wait for each other instead of deadlocking; the flush writes them in one executemany.
    """
    cleaned = {pid: {k: v for k, v in t.items() if v is not None} for pid, t in changes.items()}
    cleaned = {pid: t for pid, t in cleaned.items() if t}
    if not cleaned:
        return
    # FOR NO KEY UPDATE: concurrent transactions moving identities/events onto these profiles hold
    # KEY SHARE locks through their foreign keys; a plain FOR UPDATE would deadlock with them.
    profiles = session.scalars(
        sa.select(Profile)
        .where(Profile.id.in_(sorted(cleaned)))
        .order_by(Profile.id)
        .with_for_update(key_share=True)
    ).all()
    if len(profiles) != len(cleaned):
        raise LookupError(f"profiles {sorted(set(cleaned) - {p.id for p in profiles})} are gone")
    now = utcnow()
    for profile in profiles:
        merged = {**profile.traits, **cleaned[profile.id]}
        if merged != profile.traits:
            profile.traits = merged
            profile.updated_at = now


def current_profile_id(session: Session, profile_id: int) -> int | None:
    """Where a profile lives now: itself, the end of its merge trail, or None if never known."""
    seen: set[int] = set()
    while profile_id not in seen:
        seen.add(profile_id)
        if session.get(Profile, profile_id) is not None:
            return profile_id
        survivor = session.scalar(
            sa.select(ProfileMerge.survivor_id)
            .where(ProfileMerge.merged_profile_id == profile_id)
            .order_by(ProfileMerge.id.desc())
            .limit(1)
        )
        if survivor is None:
            return None
        profile_id = survivor
    return None


def _profile_references() -> list[tuple[sa.Table, sa.Column[Any]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name == ProfileMerge.__tablename__:
            continue
        for column in table.columns:
            if any(fk.column.table.name == "profiles" for fk in column.foreign_keys):
                found.append((table, column))
    return found


_MOVE_KEYS = (
    sa.update(Identity)
    .where(Identity.profile_id == sa.bindparam("fresh"))
    .values(profile_id=sa.bindparam("winner"))
)


def _chunks(items: list[Key], size: int) -> Iterable[list[Key]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
