"""Profiles: one customer with every identity and trait the systems gave us.

A profile merged into another no longer exists; asking for it answers 404 with code
`merged` and `details.survivor_id` (the profile that holds its events and identities
now), rather than a redirect, so a client learns the new id instead of silently following.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, Field
from spectree import Response
from sqlalchemy.orm import selectinload

from connectors.registry import identity_kinds
from connectors.sdk.identity import normalise
from hub.api.pagination import PageQuery, page
from hub.api.spec import spec
from hub.db import db
from hub.errors import ApiError
from hub.inbound.identity import current_profile_id
from hub.models import Identity, Profile

bp = Blueprint("profiles", __name__)


class ProfileQuery(PageQuery):
    identity: str | None = Field(
        default=None, max_length=400, description="kind:value, e.g. email:ada@example.com or user_id:42"
    )


class IdentityOut(BaseModel):
    kind: str
    value: str
    created_at: datetime


class ProfileOut(BaseModel):
    id: int
    traits: dict[str, Any]
    identities: list[IdentityOut]
    created_at: datetime
    updated_at: datetime


class ProfilePage(BaseModel):
    items: list[ProfileOut]
    next_cursor: str | None


def render(profile: Profile) -> dict[str, Any]:
    return ProfileOut.model_validate(profile, from_attributes=True).model_dump(mode="json")


@bp.get("/profiles")
@spec.validate(query=ProfileQuery, resp=Response(HTTP_200=ProfilePage), tags=["profiles"])
def list_profiles() -> dict[str, Any]:
    query: ProfileQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Profile).options(selectinload(Profile.identities))
    if query.identity is not None:
        stmt = stmt.where(Profile.id.in_(_owners(query.identity)))
    return page(stmt, Profile.id, query, render)


def _owners(identity: str) -> sa.Select[int]:
    kind, _, value = identity.partition(":")
    try:
        if kind not in identity_kinds():
            raise ValueError(f"unknown identity kind {kind!r} (known: {', '.join(identity_kinds())})")
        key = normalise(kind, value)
    except ValueError as exc:
        detail = [{"field": "identity", "message": str(exc)}]
        raise ApiError(400, "invalid_request", "invalid request: identity", detail) from None
    return sa.select(Identity.profile_id).where(
        Identity.kind == kind, Identity.value == (key[1] if key else "")
    )


@bp.get("/profiles/<int:profile_id>")
@spec.validate(resp=Response(HTTP_200=ProfileOut), tags=["profiles"])
def get_profile(profile_id: int) -> dict[str, Any]:
    profile = db.session.get(Profile, profile_id)
    if profile is not None:
        return render(profile)
    survivor = current_profile_id(db.session, profile_id)
    if survivor is None:
        raise ApiError(404, "not_found", f"no profile {profile_id}")
    raise ApiError(
        404, "merged", f"profile {profile_id} was merged into profile {survivor}", {"survivor_id": survivor}
    )
