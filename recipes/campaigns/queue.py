"""Invites into the outbox: a due invite becomes an outbox row in the transaction that makes it pending.

The engine calls `queue_invites` for the invites it writes as due now, inside its own
transaction; `promote_due` does the same for scheduled invites whose time has come (a delay,
quiet hours), marking them pending and queueing them in one transaction, a batch at a time.
The row's key is `invite-<id>`, the same on every attempt, so a row is never made twice
for one invite and a retried delivery carries the key the first attempt carried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import db, utcnow
from hub.models import Campaign, Invite
from hub.outbox.claims import pick
from hub.outbox.rows import NewRow, add
from hub.runtime.jobs import job

KIND = "invite"
BATCH = 500


def invite_key(invite_id: int) -> str:
    return f"invite-{invite_id}"


def target(definition: Mapping[str, Any]) -> str:
    """`webhook:3`: the channel and the connection that carries it."""
    return f"{definition.get('channel', 'unknown')}:{definition.get('connection_id') or 'none'}"


def queue_invites(session: Session, invites: Sequence[tuple[int, int]]) -> None:
    """Outbox rows for these (invite id, campaign id) pairs, in the caller's transaction; a worker wakes on commit."""
    if not invites:
        return
    wanted = sorted({campaign_id for _, campaign_id in invites})
    found = session.execute(sa.select(Campaign.id, Campaign.definition).where(Campaign.id.in_(wanted)))
    definitions = {campaign_id: definition for campaign_id, definition in found}
    add(
        session,
        (
            NewRow(
                KIND,
                target(definitions.get(campaign_id, {})),
                {"invite_id": invite_id},
                invite_key(invite_id),
            )
            for invite_id, campaign_id in invites
        ),
    )


def promote_due(session: Session, now: datetime, batch: int = BATCH) -> int:
    """Scheduled invites due by `now` become pending with their outbox rows; answers how many. Commits."""
    promoted = 0
    while True:
        due = (Invite.status == "scheduled", Invite.due_at <= now)
        picked = sa.select(Invite.id).where(*due).order_by(Invite.due_at).limit(batch)
        rows = session.execute(
            sa.update(Invite)
            .where(pick(session, picked, Invite.id, *due))
            .values(status="pending", updated_at=now)
            .returning(Invite.id, Invite.campaign_id)
            .execution_options(synchronize_session=False)
        ).all()
        queue_invites(session, [(row.id, row.campaign_id) for row in rows])
        session.commit()
        promoted += len(rows)
        if len(rows) < batch:
            return promoted


@job
def deliver_due_invites() -> int:
    """The periodic tick: scheduled invites whose time has come go to the outbox."""
    return promote_due(db.session, utcnow())
