"""The recipe builder: a recipe made by picking, never by typing JSON, saved through the JSON API.

The page carries what the pickers offer (admin.builder.options) and the recipe as the API
answers it; admin/static/builder.js turns the form into the recipe JSON, saves it with
POST/PUT /api/v1/recipes on the admin's session (hub.api.auth) and shows the API's 400s next
to the field each names. Dry runs and backtests are the API's too, so the page and a script
see the same answers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_admin import expose

from admin.base import PAGE_SIZE, SecuredView
from admin.builder.options import options
from admin.builder.timeline import recipe_timeline
from admin.charts import line_chart
from hub.db import db
from hub.models import Recipe
from recipes.api.recipes import render


class RecipesView(SecuredView):
    @property
    def extra_css(self) -> list[str]:
        return [url_for("jh_admin.static", filename="views.css")]

    @expose("/")
    def index(self) -> Any:
        page = request.args.get("page", "0")
        number = int(page) if page.isdigit() else 0
        rows = db.session.scalars(
            sa.select(Recipe).order_by(Recipe.id.desc()).offset(number * PAGE_SIZE).limit(PAGE_SIZE + 1)
        ).all()
        return self.render(
            "jh/recipes.html",
            recipes=rows[:PAGE_SIZE],
            page=number,
            more=len(rows) > PAGE_SIZE,
        )

    @expose("/new/")
    def new(self) -> Any:
        return self._builder(None)

    @expose("/<int:recipe_id>/")
    def edit(self, recipe_id: int) -> Any:
        return self._builder(_recipe(recipe_id))

    @expose("/<int:recipe_id>/chart/")
    def chart(self, recipe_id: int) -> Any:
        recipe = _recipe(recipe_id)
        return self.render(
            "jh/recipe_chart.html", recipe=recipe, timeline=recipe_timeline(recipe.id), line_chart=line_chart
        )

    def _builder(self, recipe: Recipe | None) -> Any:
        return self.render(
            "jh/builder.html",
            recipe=render(recipe) if recipe else None,
            options=options(),
            api=url_for("api.recipes.list_recipes"),
            page_url=url_for(".edit", recipe_id=0).rsplit("/0/", 1)[0],
        )


def _recipe(recipe_id: int) -> Recipe:
    recipe = db.session.get(Recipe, recipe_id)
    if recipe is None:
        abort(404)
    return recipe
