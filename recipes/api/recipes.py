"""Recipes: which journey moments become invites. Every save is a new version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from flask.views import MethodView
from sqlalchemy.exc import IntegrityError

from hub.api.common import Id, Page, get_or_404, matching
from hub.api.pagination import PageQuery, page
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.db import db
from hub.errors import ApiError
from hub.models import Recipe
from recipes.api.body import parsed, refused
from recipes.api.common import deleted, envelope
from recipes.engine.problems import Problem
from recipes.engine.saving import save_recipe
from recipes.engine.schema import RecipeIn

bp = Blueprint("recipes", __name__)
PROVIDER = (409, 502, 503)
"""Saving asks an action's destination for its writable fields: what it answers when that fails
(hub.api.providers); 409 is also a recipe changed meanwhile."""


class RecipeQuery(PageQuery):
    campaign_id: Id | None = None


class RecipeOut(RecipeIn):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime


def render(recipe: Recipe) -> dict[str, Any]:
    return RecipeOut.model_validate(envelope(recipe, version=recipe.version)).model_dump(mode="json")


def _saved(recipe: Recipe | None) -> dict[str, Any]:
    try:
        return render(save_recipe(parsed(RecipeIn), recipe))
    except Problem as problem:
        raise refused(problem) from None
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "conflict", "the recipe changed meanwhile; read it and save again") from None


@bp.get("/recipes")
@spec.validate(query=RecipeQuery, resp=answers(200, Page[RecipeOut]), tags=["recipes"])
def list_recipes() -> dict[str, Any]:
    query: RecipeQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Recipe)
    if query.campaign_id is not None:
        stmt = stmt.where(matching(Recipe.campaign_id, query.campaign_id))
    return page(stmt, Recipe.id, query, render)


@bp.post("/recipes")
@spec.validate(
    json=RecipeIn, skip_validation=True, resp=answers(201, RecipeOut, *PROVIDER, *BODY), tags=["recipes"]
)
def add_recipe() -> tuple[dict[str, Any], int]:
    return _saved(None), 201


class RecipeItem(MethodView):
    """One recipe: read, replace (PUT) or delete; one rule, so an id out of range is 404 for every method."""

    @spec.validate(resp=answers(200, RecipeOut, *BY_ID), tags=["recipes"])
    def get(self, recipe_id: int) -> dict[str, Any]:
        return render(get_or_404(Recipe, recipe_id))

    @spec.validate(
        json=RecipeIn,
        skip_validation=True,
        resp=answers(200, RecipeOut, *PROVIDER, *BY_ID, *BODY),
        tags=["recipes"],
    )
    def put(self, recipe_id: int) -> dict[str, Any]:
        return _saved(get_or_404(Recipe, recipe_id))

    @spec.validate(resp=deleted(), tags=["recipes"])
    def delete(self, recipe_id: int) -> tuple[str, int]:
        db.session.delete(get_or_404(Recipe, recipe_id))
        db.session.commit()
        return "", 204


bp.add_url_rule("/recipes/<id:recipe_id>", view_func=RecipeItem.as_view("recipe"))
