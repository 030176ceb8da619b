"""Which issue a finding's (or a journey stage's) comment belongs to: what its earlier action on the
same connection created.

Read from the outbox rows themselves (their keys start with the finding and the connection,
their results say what was performed and its `ref`), so nothing else has to be kept in step.
A comment whose finding has an earlier action still pending (it may create the issue) waits
for it, through the outbox's own retry, rather than opening a second issue; once that earlier
one has failed for good, the comment is performed as the issue itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.models.delivery import PENDING, SENT, Outbox
from hub.outbox.types import Item, Retry
from recipes.actions.enqueue import KIND, finding_prefix
from recipes.actions.journey import journey_prefix

SAME_BATCH_WAIT_S = 5.0
"""How long a comment waits for an issue created in the same batch (marked within seconds)."""
ISSUE_MAKERS = ("create_issue", "comment")


class Threads:
    def __init__(self, session: Session, items: Sequence[Item]) -> None:
        self._claimed = {item.id for item in items}
        self._now = utcnow()
        prefixes = {p for item in items if (p := _prefix(item)) is not None}
        self._rows: list[Any] = []
        if prefixes:
            stmt = sa.select(
                Outbox.id, Outbox.idempotency_key, Outbox.status, Outbox.result, Outbox.payload,
                Outbox.next_attempt_at,
            ).where(
                Outbox.kind == KIND, sa.or_(*(Outbox.idempotency_key.startswith(p, autoescape=True) for p in prefixes))
            )  # fmt: skip
            self._rows = list(session.execute(stmt.order_by(Outbox.id)))

    def of(self, item: Item) -> str | None | Retry:
        """The issue to comment on; None when there is none to wait for; Retry while one may still come."""
        prefix = _prefix(item)
        mine = [row for row in self._rows if prefix and row.idempotency_key.startswith(prefix)]
        for row in mine:
            result = row.result or {}
            if row.status == SENT and result.get("operation") == "create_issue" and result.get("ref"):
                return str(result["ref"])
        for row in mine:
            if row.id < item.id and row.status == PENDING and row.payload.get("operation") in ISSUE_MAKERS:
                return Retry(
                    f"waits for outbox row {row.id}, which creates the issue this comment belongs to",
                    after_s=self._wait(row),
                )
        return None

    def _wait(self, row: Any) -> float:
        if row.id in self._claimed or row.next_attempt_at is None:
            return SAME_BATCH_WAIT_S
        waited: float = (row.next_attempt_at - self._now).total_seconds()
        return max(waited, 0.0) + SAME_BATCH_WAIT_S


def _prefix(item: Item) -> str | None:
    """A finding's comments thread to its issue; a journey stage's, to the issue of its first change."""
    payload = item.payload
    connection_id = payload.get("connection_id")
    if payload.get("operation") != "comment" or not connection_id:
        return None
    if payload.get("finding_id"):
        return finding_prefix(int(payload["finding_id"]), int(connection_id))
    if payload.get("journey_id") and payload.get("stage"):
        return journey_prefix(int(payload["journey_id"]), int(payload["stage"]), int(connection_id))
    return None
