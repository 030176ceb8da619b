"""Claiming a batch's frequency caps: one atomic statement per kind of cap, never a read then a write.

Each statement is a multi-row INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING: a key's
row is inserted, or updated only while its cap allows, and RETURNING says which keys were
claimed. On a conflict PostgreSQL locks the row and re-checks the WHERE against what a
concurrent claimer committed, so two batches claiming one key at the same instant cannot both
win; SQLite lets one writer in at a time.

An invite gets all its caps or none. Every claimer takes them in one order (person, person x
campaign, budget) and the keys of one statement in sorted order, so concurrent claimers lock
rows in one global order. A claim keeps the row's previous state (`previous_at`,
`previous_used`; null when it inserted the row), and an invite refused by a later cap gives
back what it won by restoring that state, within the transaction that still holds the rows.
Two invites of one batch that want the same person's cap take turns, so the batch decides
what claiming them one by one would: the second is refused if the first keeps the cap, and
tries again if the first gave it back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import CapClaim
from recipes.engine.caps import BUDGET, CAMPAIGN, EVER, PERSON, Cap
from recipes.engine.rows import write_rows

CLAIMS = cast(sa.Table, CapClaim.__table__)
Wanted = Sequence[Sequence[Cap]]


def claim_all(session: Session, wanted: Wanted, now: datetime) -> list[Cap | None]:
    """Per invite (by position): None when it claimed every cap it needs, else the cap that refused it."""
    refused: list[Cap | None] = [None] * len(wanted)
    held: set[str] = set()
    """Window keys an invite of this batch won and keeps."""
    blocked: set[tuple[str, timedelta | None]] = set()
    """Window claims the database refused in this batch."""
    pending = list(range(len(wanted)))
    while pending:
        turn, pending = _next_turn(pending, wanted, held, blocked, refused)
        _claim_turn(session, turn, wanted, now, blocked, refused)
        held.update(cap.key for i in turn if refused[i] is None for cap in wanted[i] if cap.budget is None)
    return refused


def _next_turn(
    pending: list[int],
    wanted: Wanted,
    held: set[str],
    blocked: set[tuple[str, timedelta | None]],
    refused: list[Cap | None],
) -> tuple[list[int], list[int]]:
    """The invites that claim now (no two share a window key), and those that wait for them."""
    turn: list[int] = []
    waiting: list[int] = []
    taken: set[str] = set()
    for i in pending:
        windows = [cap for cap in wanted[i] if cap.budget is None]
        lost = next((c for c in windows if c.key in held or (c.key, c.window) in blocked), None)
        if lost is not None:
            refused[i] = lost
        elif any(cap.key in taken for cap in windows):
            waiting.append(i)
        else:
            turn.append(i)
            taken.update(cap.key for cap in windows)
    return turn, waiting


def _claim_turn(
    session: Session,
    turn: list[int],
    wanted: Wanted,
    now: datetime,
    blocked: set[tuple[str, timedelta | None]],
    refused: list[Cap | None],
) -> None:
    won: dict[int, list[str]] = defaultdict(list)
    alive = turn
    for order in (PERSON, CAMPAIGN, BUDGET):
        asking = [(i, cap) for i in alive for cap in wanted[i] if cap.order == order]
        granted = _claim(session, asking, now) if asking else set()
        for i, cap in asking:
            if i in granted:
                won[i].append(cap.key)
            else:
                refused[i] = cap
                if cap.budget is None:
                    blocked.add((cap.key, cap.window))
        alive = [i for i in alive if refused[i] is None]
    given_back = sorted(key for i in turn if refused[i] is not None for key in won[i])
    if given_back:
        _give_back(session, given_back)


def _claim(session: Session, asking: list[tuple[int, Cap]], now: datetime) -> set[int]:
    """The invites (by position) whose cap of one kind was claimed: a statement per window or budget size."""
    granted: set[int] = set()
    windows: dict[timedelta, dict[str, int]] = defaultdict(dict)
    budgets: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, cap in asking:
        if cap.budget is None:
            windows[cap.window or EVER][cap.key] = i
        else:
            budgets[cap.budget][cap.key].append(i)
    for window, owners in windows.items():
        claimed = _upsert(session, {key: 1 for key in owners}, now, window=window)
        granted.update(owners[key] for key, _ in claimed)
    for budget, queues in budgets.items():
        demand = {key: min(len(queue), budget) for key, queue in queues.items()}
        for key, count in _upsert(session, demand, now, budget=budget):
            granted.update(queues[key][:count])
    return granted


def _upsert(
    session: Session,
    demand: dict[str, int],
    now: datetime,
    window: timedelta | None = None,
    budget: int | None = None,
) -> list[tuple[str, int]]:
    """Claims `demand[key]` uses of each key in one statement; (key, uses granted) of those claimed.

    A window claim takes its key when it was last claimed before the window; a budget claim
    takes what is left of the budget, up to its demand.
    """
    c = CLAIMS.c
    rows = [
        {"key": key, "claimed_at": now, "used": demand[key], "previous_at": None, "previous_used": None}
        for key in sorted(demand)
    ]
    kept: dict[str, Any] = {"previous_at": c.claimed_at, "previous_used": c.used}

    def claim(stmt: Any) -> Any:
        if budget is None:
            update = {**kept, "claimed_at": now, "used": c.used + 1}
            allowed = c.claimed_at <= now - (window or EVER)
        else:
            more = c.used + stmt.excluded.used
            update = {**kept, "used": sa.case((more > budget, budget), else_=more)}
            allowed = c.used < budget
        stmt = stmt.on_conflict_do_update(index_elements=[c.key], set_=update, where=allowed)
        return stmt.returning(c.key, c.used, c.previous_used)

    claimed, _ = write_rows(session, CLAIMS, rows, claim)
    return [(key, used - (previous or 0)) for key, used, previous in claimed]


def _give_back(session: Session, keys: list[str]) -> None:
    """Restores the claims of invites a later cap refused; deletes the rows they inserted."""
    c = CLAIMS.c
    session.connection().execute(sa.delete(CLAIMS).where(c.key.in_(keys), c.previous_used.is_(None)))
    session.connection().execute(
        sa.update(CLAIMS).where(c.key.in_(keys)).values(claimed_at=c.previous_at, used=c.previous_used)
    )
