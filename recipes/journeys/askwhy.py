"""Ask why in one step: an absence recipe for the people who reached a stage and went no further.

The recipe is saved disabled, for a person to review: it fires "stage n's event without stage
n+1's event within the journey's window", aimed at the campaign named, with stage n's
conditions, and it is attached to stage n so its findings appear beside the drop-off. The
question suggested for the campaign is open-ended and non-leading: it asks what happened, not
why they failed, and does not name the step they did not take.
"""

from __future__ import annotations

from typing import Any

from hub.db import db, utcnow
from hub.models import Journey, Recipe
from recipes.engine.saving import save_recipe
from recipes.engine.schema import RecipeIn
from recipes.journeys.schema import JourneyIn

NOTE = (
    "Saved disabled for review. The absence trigger counts the window from the stage's own event, "
    "not from entering the journey, and looks for the next stage's event by name only, without its conditions."
)


def suggested_question(stage_name: str) -> dict[str, Any]:
    return {
        "id": "what_happened",
        "type": "open_ended",
        "text": f'Think back to the step "{stage_name}". What happened next, in your own words?',
    }


def ask_why(
    journey: Journey, number: int, campaign_id: int, name: str | None
) -> tuple[Recipe, dict[str, Any]]:
    """Creates the recipe for stage `number` (1-based, not the last) and attaches it to that stage."""
    spec = JourneyIn.model_validate(journey.definition)
    stage, following = spec.stages[number - 1], spec.stages[number]
    body = RecipeIn.model_validate(
        {
            "name": name or f"Why people leave {spec.name} at {stage.name}"[:200],
            "enabled": False,
            "trigger": {
                "type": "absence",
                "event": stage.event,
                "missing": following.event,
                "within_days": spec.window_days,
            },
            "conditions": stage.conditions.model_dump(mode="json") if stage.conditions is not None else None,
            "campaign_id": campaign_id,
        }
    )
    recipe = save_recipe(body)
    stages = [s.model_dump(mode="json") for s in spec.stages]
    stages[number - 1]["recipe_id"] = recipe.id
    journey.definition = JourneyIn.model_validate(
        {**spec.model_dump(mode="json"), "stages": stages}
    ).model_dump(mode="json")
    journey.updated_at = utcnow()
    db.session.commit()
    return recipe, suggested_question(stage.name)
