"""The per-run staging set: what a running sync has fetched so far, kept in the database.

Pages land here (committed one by one, so memory holds one page) and only the diff turns
them into membership. A failed run's rows are deleted; the stored membership never saw them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.sdk import Member
from connectors.sdk.identity import keys_of
from hub.db import insert_ignore
from hub.models import StagedMember


def stage(session: Session, run_id: int, cohort_id: int, members: Sequence[Member]) -> tuple[int, int]:
    """(members staged, members skipped because no identity is usable); a ref seen twice counts once."""
    rows: dict[str, dict[str, object]] = {}
    skipped = 0
    for member in members:
        if not keys_of(member.identities):
            skipped += 1
            continue
        rows[member.ref] = {
            "run_id": run_id,
            "cohort_id": cohort_id,
            "member_ref": member.ref,
            "identities": {k: v for k, v in member.identities.items() if v not in (None, "")},
            "traits": dict(member.traits),
        }
    if not rows:
        return 0, skipped
    inserted = session.execute(
        insert_ignore(session, StagedMember).values(list(rows.values())).returning(StagedMember.member_ref)
    ).all()
    return len(inserted), skipped


def clear(session: Session, cohort_id: int, run_id: int | None = None) -> None:
    """Forgets one run's rows, or (holding the lease, so no sync is live) every stale row of the cohort."""
    condition = StagedMember.cohort_id == cohort_id
    if run_id is not None:
        condition = sa.and_(condition, StagedMember.run_id == run_id)
    session.execute(sa.delete(StagedMember).where(condition))
