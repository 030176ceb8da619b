"""Saving recipes and the workspace's suppression rules; every edit of a recipe is a new version."""

from __future__ import annotations

from hub.db import db, insert_ignore, utcnow
from hub.models import Campaign, Cohort, Recipe, RecipeVersion, Workspace
from recipes.actions.validate import check_actions
from recipes.engine.problems import Problem
from recipes.engine.schema import CohortTrigger, RecipeIn, SuppressionIn, WorkspaceIn, trigger_key
from recipes.engine.settings import DEFAULT_PER_PERSON_DAYS, DEFAULT_TIMEZONE, WORKSPACE_ID


def check_recipe(body: RecipeIn) -> None:
    """Problem naming the first reference that names nothing, or the first action that cannot run."""
    if db.session.get(Campaign, body.campaign_id) is None:
        raise Problem("unknown_campaign", "campaign_id", f"no campaign {body.campaign_id}")
    if isinstance(body.trigger, CohortTrigger) and db.session.get(Cohort, body.trigger.cohort_id) is None:
        raise Problem("unknown_cohort", "trigger.cohort_id", f"no cohort {body.trigger.cohort_id}")
    check_actions(body.actions)


def save_recipe(body: RecipeIn, recipe: Recipe | None = None) -> Recipe:
    """Creates the recipe, or replaces it as its next version; the old versions stay readable."""
    check_recipe(body)
    if recipe is None:
        recipe = Recipe(version=1)
    else:
        recipe.version += 1
    recipe.name = body.name
    recipe.enabled = body.enabled
    recipe.campaign_id = body.campaign_id
    recipe.trigger_key = trigger_key(body.trigger)
    recipe.definition = body.model_dump(mode="json")
    recipe.updated_at = utcnow()
    db.session.add(recipe)
    db.session.flush()
    db.session.add(RecipeVersion(recipe_id=recipe.id, version=recipe.version, definition=recipe.definition))
    db.session.commit()
    return recipe


def workspace() -> Workspace:
    """The workspace's settings row, made on first use."""
    found = db.session.get(Workspace, WORKSPACE_ID)
    if found is None:
        db.session.execute(
            insert_ignore(db.session, Workspace).values(
                id=WORKSPACE_ID,
                suppression={"rules": []},
                timezone=DEFAULT_TIMEZONE,
                per_person_days=DEFAULT_PER_PERSON_DAYS,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        db.session.commit()
        found = db.session.get(Workspace, WORKSPACE_ID)
    assert found is not None  # noqa: S101 - inserted just above
    return found


def save_workspace(body: WorkspaceIn) -> Workspace:
    settings = workspace()
    settings.timezone, settings.per_person_days = body.timezone, body.per_person_days
    settings.updated_at = utcnow()
    db.session.commit()
    return settings


def save_suppression(body: SuppressionIn) -> Workspace:
    settings = workspace()
    settings.suppression = body.model_dump(mode="json")
    settings.updated_at = utcnow()
    db.session.commit()
    return settings
