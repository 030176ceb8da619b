"""Profiles: one person's identities, traits, invites and results, and why each recipe would or
would not invite them now (recipes.engine.explain, as `GET /profiles/<id>/eligibility`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, request
from flask_admin import expose

from admin.base import ReadOnlyView
from hub.db import db
from hub.models import InterviewResult, Invite, Profile, Recipe
from recipes.engine.explain import explain

SHOWN = 20
"""Per section: the newest invites and results, and the first recipes; enough to read, never a table."""


class ProfileView(ReadOnlyView):
    column_list = ("id", "traits", "created_at", "updated_at")
    column_formatters: dict[str, Any] = {"traits": lambda v, c, m, p: _short(m.traits)}
    details_template = "jh/profile.html"

    def __init__(self) -> None:
        super().__init__(Profile, "Profiles", "Data", endpoint="profile")

    @expose("/details/")
    def details_view(self) -> Any:
        profile_id = request.args.get("id", "")
        profile = db.session.get(Profile, int(profile_id)) if profile_id.isdigit() else None
        if profile is None:
            abort(404)
        recipes = db.session.scalars(
            sa.select(Recipe).where(Recipe.enabled.is_(True)).order_by(Recipe.id).limit(SHOWN)
        ).all()
        return self.render(
            self.details_template,
            model=profile,
            invites=_newest(Invite, Invite.profile_id == profile.id),
            results=_newest(InterviewResult, InterviewResult.profile_id == profile.id),
            eligibility=[(r, explain(db.session, profile, r)) for r in recipes],
            return_url=self.get_url(".index_view"),
        )


def _newest(model: Any, where: sa.ColumnElement[bool]) -> list[Any]:
    return list(db.session.scalars(sa.select(model).where(where).order_by(model.id.desc()).limit(SHOWN)))


def _short(traits: dict[str, Any]) -> str:
    text = ", ".join(f"{k}: {v}" for k, v in list(traits.items())[:4])
    return text + (" …" if len(traits) > 4 else "")
