"""The per-run staging set: what a running sync has fetched so far, kept in the database.

Pages land here (committed one by one, so memory holds one page) and only the diff turns
them into membership. A failed run's rows are deleted; the stored membership never saw them.

A page is written in one round trip: PostgreSQL takes it through COPY (no statement text
per row, no per-row parameter conversion in Python), SQLite through one executemany that its
driver runs in C. Identities are stored as the keys they resolve to (normalised values,
empty ones dropped), so the diff can resolve a whole cohort in SQL without Python looking at
each member again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.registry import identity_kinds
from connectors.sdk import Member
from connectors.sdk.identity import IdentityKind, normalise
from hub.models import StagedMember

COLUMNS = "run_id, cohort_id, member_ref, identities, traits"
_COPY = f"COPY cohort_staging ({COLUMNS}) FROM STDIN"
_INSERT = f"INSERT OR IGNORE INTO cohort_staging ({COLUMNS}) VALUES (?, ?, ?, ?, ?)"  # noqa: S608
_INSERT_IGNORE = sa.text(
    f"INSERT INTO cohort_staging ({COLUMNS}) VALUES (:run_id, :cohort_id, :member_ref, "  # noqa: S608
    "CAST(:identities AS jsonb), CAST(:traits AS jsonb)) ON CONFLICT DO NOTHING"
)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

Row = tuple[int, int, str, str, str]


def stage(session: Session, run_id: int, cohort_id: int, members: Sequence[Member]) -> tuple[int, int]:
    """(members staged, members skipped because no identity is usable); a ref seen twice counts once.

    `run_id` only names the set the diff compares with the stored membership, so a snapshot
    that did not come from a pull (a provider pushing a cohort's members) stages the same
    way under a run of its own. Raises ValueError for an identity kind no connector declared.
    """
    kinds = identity_kinds()
    rows: dict[str, Row] = {}
    skipped = 0
    for member in members:
        if member.ref in rows:  # the first one stays, as it does when an earlier call staged it
            continue
        keys = normalised(member.identities, kinds)
        if not keys:
            skipped += 1
            continue
        rows[member.ref] = (run_id, cohort_id, member.ref, _dumps(keys), _dumps(dict(member.traits)))
    if not rows:
        return 0, skipped
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, rows), skipped
    result = session.connection().exec_driver_sql(_INSERT, list(rows.values()))
    return int(result.rowcount), skipped


def normalised(identities: Mapping[str, Any], kinds: Mapping[str, IdentityKind]) -> dict[str, str]:
    """Kind → normalised value (the key's value before any per-connection scoping); no empty ones."""
    found: dict[str, str] = {}
    for kind, value in identities.items():
        if kind not in kinds:
            raise ValueError(f"unknown identity kind {kind!r}: declare it in the connector's spec")
        key = normalise(kind, value)
        if key is not None:
            found[kind] = key[1]
    return found


def _copy(session: Session, rows: dict[str, Row]) -> int:
    """COPY refuses the whole page when one ref was staged by an earlier page (a provider whose
    pages shifted under it); its savepoint keeps the transaction usable for the slow way. One
    call is one savepoint: a caller staging a large snapshot in one transaction does best to
    hand over many members per call (COPY has no parameter limit), since PostgreSQL tracks
    only the first 64 subtransactions of a transaction cheaply."""
    try:
        with session.begin_nested():
            dbapi: Any = session.connection().connection.dbapi_connection  # emits the SAVEPOINT
            with dbapi.cursor() as cursor, cursor.copy(_COPY) as copy:
                for row in rows.values():
                    copy.write_row(row)
    except psycopg.errors.UniqueViolation:
        names = ("run_id", "cohort_id", "member_ref", "identities", "traits")
        params = [dict(zip(names, row, strict=True)) for row in rows.values()]
        return int(session.connection().execute(_INSERT_IGNORE, params).rowcount)
    return len(rows)


def clear(session: Session, cohort_id: int, run_id: int | None = None) -> None:
    """Forgets one run's rows; or, holding the lease at the start of a sync (so none of the
    cohort's syncs is live), every stale row of the cohort and those of cohorts deleted since
    a sync of theirs died with rows staged (the table has no foreign keys to cascade them)."""
    condition = StagedMember.cohort_id == cohort_id
    if run_id is not None:
        condition = sa.and_(condition, StagedMember.run_id == run_id)
    session.execute(sa.delete(StagedMember).where(condition))
    if run_id is None:
        session.execute(_ORPHANS)


_ORPHANS = sa.text(
    """WITH RECURSIVE staged(cohort_id) AS (
        SELECT min(cohort_id) FROM cohort_staging
        UNION ALL
        SELECT (SELECT min(s.cohort_id) FROM cohort_staging s WHERE s.cohort_id > staged.cohort_id)
        FROM staged WHERE staged.cohort_id IS NOT NULL)
    DELETE FROM cohort_staging WHERE cohort_id IN (
        SELECT cohort_id FROM staged
        WHERE cohort_id IS NOT NULL AND cohort_id NOT IN (SELECT id FROM cohorts))"""
)
"""The distinct staged cohorts are walked through the cohort_id index, one probe each, so this
costs nothing in proportion to the rows that other cohorts' live syncs have staged."""
