"""Profiles: one customer with every identity and trait the systems gave us.

A profile merged into another no longer exists; asking for it answers 404 with code
`merged` and `details.survivor_id` (the profile that holds its events and identities
now), rather than a redirect, so a client learns the new id instead of silently following.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import selectinload

from connectors.registry import identity_kinds
from connectors.sdk.identity import MAX_VALUE_LEN, Key, normalise
from hub.api.common import Page, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.spec import BY_ID, answers, spec
from hub.db import db
from hub.errors import ApiError
from hub.inbound.identity import current_profile_id
from hub.models import Identity, Profile

bp = Blueprint("profiles", __name__)


def _identity_pattern(schema: dict[str, Any]) -> None:
    """The known kinds, read from the registry when the document is rendered, not at import."""
    kinds = "|".join(re.escape(kind) for kind in identity_kinds())
    schema["pattern"] = f"^({kinds}):[^\\x00]{{0,{MAX_VALUE_LEN}}}$"


class ProfileQuery(PageQuery):
    identity: str | None = Field(
        default=None,
        max_length=400,
        description="kind:value, e.g. email:ada@example.com or user_id:42; ids unique only inside one "
        "account carry their connection: hubspot_contact:<connection id>:<contact id>",
        json_schema_extra=_identity_pattern,
    )

    @field_validator("identity")
    @classmethod
    def _known_kind(cls, identity: str | None) -> str | None:
        if identity is not None:
            kind, _, value = identity.partition(":")
            if kind not in identity_kinds():
                raise ValueError(f"unknown identity kind {kind!r} (known: {', '.join(identity_kinds())})")
            normalise(kind, value)  # ValueError when it cannot be a key, e.g. too long
        return identity


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


def render(profile: Profile) -> dict[str, Any]:
    return ProfileOut.model_validate(profile, from_attributes=True).model_dump(mode="json")


@bp.get("/profiles")
@spec.validate(query=ProfileQuery, resp=answers(200, Page[ProfileOut]), tags=["profiles"])
def list_profiles() -> dict[str, Any]:
    query: ProfileQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Profile).options(selectinload(Profile.identities))
    if query.identity is not None:
        stmt = stmt.where(Profile.id.in_(_owners(query.identity)))
    return page(stmt, Profile.id, query, render)


def _owners(identity: str) -> sa.Select[int]:
    kind, _, value = identity.partition(":")
    key: Key | None = normalise(kind, value)
    return sa.select(Identity.profile_id).where(
        Identity.kind == kind, Identity.value == (key[1] if key else "")
    )


@bp.get("/profiles/<id:profile_id>")
@spec.validate(resp=answers(200, ProfileOut, *BY_ID), tags=["profiles"])
def get_profile(profile_id: int) -> dict[str, Any]:
    return render(get_or_404(Profile, profile_id, missing=_merged))


def _merged(profile_id: int) -> ApiError:
    survivor = current_profile_id(db.session, profile_id)
    if survivor is None:
        return ApiError(404, "not_found", f"no profile {profile_id}")
    return ApiError(
        404, "merged", f"profile {profile_id} was merged into profile {survivor}", {"survivor_id": survivor}
    )
