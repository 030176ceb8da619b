"""Invites: who was invited where, what became of each, and every attempt to deliver it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, Field

from hub.api.common import Id, Page, get_or_404, matching
from hub.api.outbox import OutboxOut
from hub.api.outbox import render as render_row
from hub.api.pagination import PageQuery, page
from hub.api.spec import BY_ID, answers, spec
from hub.db import db
from hub.models import Invite
from hub.models.delivery import Outbox
from recipes.campaigns.queue import invite_key

bp = Blueprint("invites", __name__)
InviteStatus = Literal["scheduled", "pending", "sent", "failed", "opened", "completed", "expired"]


class InviteQuery(PageQuery):
    status: InviteStatus | None = None
    campaign_id: Id | None = None
    recipe_id: Id | None = None
    profile_id: Id | None = None


class InviteOut(BaseModel):
    id: int
    profile_id: int
    campaign_id: int
    recipe_id: int | None
    event_id: int
    status: str
    due_at: datetime
    sent_at: datetime | None
    link: str | None
    created_at: datetime
    updated_at: datetime
    delivery: OutboxOut | None = Field(
        default=None, description="its outbox row with every delivery attempt; null until it is due"
    )


def render(invite: Invite, *, with_delivery: bool = False) -> dict[str, Any]:
    columns = {column.key: getattr(invite, column.key) for column in sa.inspect(Invite).columns}
    out = InviteOut.model_validate(columns).model_dump(mode="json", exclude={"delivery"})
    if with_delivery:
        row = db.session.scalar(sa.select(Outbox).where(Outbox.idempotency_key == invite_key(invite.id)))
        out["delivery"] = render_row(row, with_steps=True) if row is not None else None
    return out


@bp.get("/invites")
@spec.validate(query=InviteQuery, resp=answers(200, Page[InviteOut]), tags=["invites"])
def list_invites() -> dict[str, Any]:
    query: InviteQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Invite)
    if query.status is not None:
        stmt = stmt.where(Invite.status == query.status)
    for name in ("campaign_id", "recipe_id", "profile_id"):
        if (value := getattr(query, name)) is not None:
            stmt = stmt.where(matching(getattr(Invite, name), value))
    return page(stmt, Invite.id, query, render)


@bp.get("/invites/<id:invite_id>")
@spec.validate(resp=answers(200, InviteOut, *BY_ID), tags=["invites"])
def get_invite(invite_id: int) -> dict[str, Any]:
    return render(get_or_404(Invite, invite_id), with_delivery=True)
