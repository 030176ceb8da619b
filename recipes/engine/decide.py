"""Turning a batch's verdicts into what is stored: invites, the caps they claim, and a decision each.

All in the caller's one transaction, in a fixed number of statements whatever the batch's
size: the invites of every pair that passed the steps in one INSERT … ON CONFLICT DO NOTHING
(the unique person x campaign x trigger event makes a second evaluation of an event invite
no one), the caps of the invites really inserted (recipes.engine.claims), then one DELETE of
the invites a cap refused. The decision rows are the caller's to write, so a deferral being
tried again can update its own row instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models import Invite
from recipes.campaigns.queue import queue_invites
from recipes.engine.caps import Cap, caps_for
from recipes.engine.claims import claim_all
from recipes.engine.rows import write_rows
from recipes.engine.settings import Rules
from recipes.engine.steps import Verdict

DEFER_DAYS = 1
INVITES = cast(sa.Table, Invite.__table__)
ALREADY = "this event already made an invite to this campaign"


@dataclass(frozen=True)
class Pair:
    """One event x one recipe whose trigger matched it."""

    event_id: int
    profile_id: int
    recipe_id: int
    recipe_version: int
    campaign_id: int
    recipe: Mapping[str, Any]

    @property
    def invite_key(self) -> tuple[int, int, int]:
        return (self.profile_id, self.campaign_id, self.event_id)


@dataclass(frozen=True)
class Settled:
    """What became of one pair: invited, scheduled, deferred or skipped, at which step and why."""

    outcome: str
    step: str
    reason: str
    retry_at: datetime | None = None

    @property
    def invited(self) -> bool:
        return self.outcome in ("invited", "scheduled")


def settle(
    session: Session, judged: Sequence[tuple[Pair, Verdict]], rules: Rules, now: datetime
) -> list[Settled]:
    """What became of each pair, in order; invites and claims are written, not committed."""
    settled: list[Settled | None] = [None] * len(judged)
    hopeful = []
    for n, (_, verdict) in enumerate(judged):
        failed = verdict.failed
        if failed is not None:
            settled[n] = Settled("skipped", failed.step, failed.detail)
        else:
            hopeful.append(n)
    inserted = _insert_invites(session, [judged[n] for n in hopeful], now)
    claimants: list[tuple[int, int]] = []
    for n in hopeful:
        invite_id = inserted.pop(judged[n][0].invite_key, None)
        if invite_id is None:  # made before, or by an earlier pair of this batch
            settled[n] = Settled("skipped", "caps", ALREADY)
        else:
            claimants.append((n, invite_id))
    wanted = [_caps(judged[n][0], rules, now) for n, _ in claimants]
    losers: list[int] = []
    due_now: list[tuple[int, int]] = []
    for (n, invite_id), refused in zip(claimants, claim_all(session, wanted, now), strict=True):
        pair, verdict = judged[n]
        if refused is None:
            settled[n] = won = _invited(verdict, now)
            if won.outcome == "invited":  # pending now: its outbox row joins this transaction
                due_now.append((invite_id, pair.campaign_id))
        else:
            losers.append(invite_id)
            settled[n] = _capped(pair, refused, now)
    if losers:
        session.connection().execute(sa.delete(INVITES).where(INVITES.c.id.in_(losers)))
    queue_invites(session, due_now)
    return [s for s in settled if s is not None]


def _caps(pair: Pair, rules: Rules, now: datetime) -> list[Cap]:
    return caps_for(pair.recipe, pair.campaign_id, pair.profile_id, rules, now)


def _insert_invites(
    session: Session, hopeful: Sequence[tuple[Pair, Verdict]], now: datetime
) -> dict[tuple[int, int, int], int]:
    """Invite ids by (person, campaign, event) of the rows this statement inserted."""
    rows: dict[tuple[int, int, int], dict[str, Any]] = {}
    written = utcnow()  # the moment the rows are written: what stored-to-invite latency measures
    for pair, verdict in hopeful:
        due = verdict.due_at or now
        rows.setdefault(
            pair.invite_key,
            {
                "profile_id": pair.profile_id,
                "campaign_id": pair.campaign_id,
                "recipe_id": pair.recipe_id,
                "event_id": pair.event_id,
                "status": "scheduled" if due > now else "pending",
                "due_at": due,
                "created_at": written,
                "updated_at": written,
            },
        )
    if not rows:
        return {}
    c = INVITES.c
    found, _ = write_rows(
        session,
        INVITES,
        [rows[key] for key in sorted(rows)],
        lambda stmt: stmt.on_conflict_do_nothing().returning(c.id, c.profile_id, c.campaign_id, c.event_id),
    )
    return {(p, cid, e): invite_id for invite_id, p, cid, e in found}


def _invited(verdict: Verdict, now: datetime) -> Settled:
    scheduled = verdict.due_at is not None and verdict.due_at > now
    detail = verdict.steps[-1].detail
    return Settled("scheduled" if scheduled else "invited", "caps", f"every step passed; {detail}")


def _capped(pair: Pair, cap: Cap, now: datetime) -> Settled:
    if pair.recipe["caps"].get("when_capped") == "defer":
        retry = now + timedelta(days=DEFER_DAYS)
        return Settled("deferred", "caps", f"{cap.reason}; trying again {retry:%Y-%m-%d %H:%M} UTC", retry)
    return Settled("skipped", "caps", cap.reason)


def decision_row(pair: Pair, settled: Settled, now: datetime) -> dict[str, Any]:
    return {
        "event_id": pair.event_id,
        "recipe_id": pair.recipe_id,
        "recipe_version": pair.recipe_version,
        "profile_id": pair.profile_id,
        "outcome": settled.outcome,
        "step": settled.step,
        "reason": settled.reason,
        "at": now,
        "retry_at": settled.retry_at,
        "attempts": 1,
    }
