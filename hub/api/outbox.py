"""The outbox: every side effect waiting, sent, failed or dead, each attempt readable, and replay."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.common import Page, Text, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.runs import RunStepOut
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.db import db
from hub.errors import ApiError
from hub.models import RunStep
from hub.models.delivery import Outbox
from hub.outbox.replay import REPLAYABLE, replay

bp = Blueprint("outbox", __name__)
Status = Literal["pending", "sent", "failed", "dead"]
"""hub.models.delivery.STATUSES, as the document states them."""


class OutboxQuery(PageQuery):
    status: Status | None = None
    kind: Text | None = Field(default=None, max_length=50)
    target: Text | None = Field(default=None, max_length=500)


class OutboxOut(BaseModel):
    id: int
    kind: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    result: dict[str, Any] | None
    idempotency_key: str
    payload: dict[str, Any]
    claimed_by: str | None
    claimed_until: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
    steps: list[RunStepOut] | None = Field(default=None, description="each delivery attempt, oldest first")


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["failed", "dead"]
    kind: Text | None = Field(default=None, max_length=50)


class Replayed(BaseModel):
    replayed: int


def render(row: Outbox, *, with_steps: bool = False) -> dict[str, Any]:
    columns = {column.key: getattr(row, column.key) for column in sa.inspect(Outbox).columns}
    out = OutboxOut.model_validate(columns).model_dump(mode="json", exclude={"steps"})
    if with_steps:
        out["steps"] = attempts(row.id)
    return out


def attempts(row_id: int) -> list[dict[str, Any]]:
    """The run steps of one row's delivery attempts, oldest first."""
    steps = db.session.scalars(
        sa.select(RunStep).where(RunStep.name == f"outbox:{row_id}").order_by(RunStep.id)
    )
    return [RunStepOut.model_validate(s, from_attributes=True).model_dump(mode="json") for s in steps]


@bp.get("/outbox")
@spec.validate(query=OutboxQuery, resp=answers(200, Page[OutboxOut]), tags=["outbox"])
def list_outbox() -> dict[str, Any]:
    query: OutboxQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Outbox)
    for column in ("status", "kind", "target"):
        if (value := getattr(query, column)) is not None:
            stmt = stmt.where(getattr(Outbox, column) == value)
    return page(stmt, Outbox.id, query, render)


@bp.get("/outbox/<id:row_id>")
@spec.validate(resp=answers(200, OutboxOut, *BY_ID), tags=["outbox"])
def get_outbox_row(row_id: int) -> dict[str, Any]:
    return render(get_or_404(Outbox, row_id), with_steps=True)


@bp.post("/outbox/<id:row_id>/replay")
@spec.validate(resp=answers(200, OutboxOut, 409, *BY_ID), tags=["outbox"])
def replay_row(row_id: int) -> dict[str, Any]:
    row = get_or_404(Outbox, row_id)
    if row.status not in REPLAYABLE:
        message = f"outbox row {row_id} is {row.status}; only failed and dead rows are replayed"
        raise ApiError(409, "not_replayable", message, [{"field": "status", "message": message}])
    replay(db.session, Outbox.id == row.id)
    db.session.refresh(row)
    return render(row, with_steps=True)


@bp.post("/outbox/replay")
@spec.validate(json=ReplayIn, resp=answers(200, Replayed, *BODY), tags=["outbox"])
def replay_rows() -> dict[str, Any]:
    body: ReplayIn = request.context.json  # type: ignore[attr-defined]
    which = Outbox.status == body.status
    if body.kind is not None:
        which = sa.and_(which, Outbox.kind == body.kind)
    return Replayed(replayed=replay(db.session, which)).model_dump()
