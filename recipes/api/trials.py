"""Trying a recipe without consequences: a dry run of one event, a backtest over stored ones."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint
from pydantic import BaseModel, Field, model_validator

from hub.api.common import Id, get_or_404
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.db import db
from hub.models import Event, Recipe
from recipes.api.body import parsed
from recipes.engine.backtest import HELD_BACK, backtest
from recipes.engine.dryrun import SampleEvent, dry_run, sample_subject, stored_subject
from recipes.engine.rules import NUMBER, Strict

bp = Blueprint("recipe_trials", __name__)


class DryRunIn(Strict):
    event: SampleEvent | None = Field(default=None, description="an event as /hooks/generic takes it")
    event_id: Id | None = Field(default=None, description="or a stored event")

    @model_validator(mode="after")
    def _one_of(self) -> DryRunIn:
        if (self.event is None) == (self.event_id is None):
            raise ValueError("send either event or event_id")
        return self


class StepOut(BaseModel):
    step: str
    passed: bool
    detail: str


class DryRunOut(BaseModel):
    outcome: Literal["invited", "scheduled", "deferred", "skipped"]
    steps: list[StepOut]


class BacktestIn(Strict):
    days: Annotated[int, Field(ge=1, le=3650), NUMBER] = 30


class DayOut(BaseModel):
    date: str
    invites: int


class BacktestOut(BaseModel):
    invites: int
    per_day: list[DayOut]
    held_back: dict[str, int] = Field(description=f"per step: {', '.join(HELD_BACK)}")


@bp.post("/recipes/<id:recipe_id>/dry-run")
@spec.validate(
    json=DryRunIn, skip_validation=True, resp=answers(200, DryRunOut, *BY_ID, *BODY), tags=["recipes"]
)
def dry_run_recipe(recipe_id: int) -> dict[str, Any]:
    recipe = get_or_404(Recipe, recipe_id)
    body = parsed(DryRunIn)
    if body.event is not None:
        subject = sample_subject(db.session, body.event)
    else:
        assert body.event_id is not None  # noqa: S101 - _one_of holds
        subject = stored_subject(db.session, get_or_404(Event, body.event_id))
    outcome, steps = dry_run(db.session, recipe, subject)
    db.session.rollback()  # nothing was written; end the read transaction all the same
    return {"outcome": outcome, "steps": [s.__dict__ for s in steps]}


@bp.post("/recipes/<id:recipe_id>/backtest")
@spec.validate(
    json=BacktestIn, skip_validation=True, resp=answers(200, BacktestOut, *BY_ID, *BODY), tags=["recipes"]
)
def backtest_recipe(recipe_id: int) -> dict[str, Any]:
    recipe = get_or_404(Recipe, recipe_id)
    answer = backtest(db.session, recipe, parsed(BacktestIn).days)
    db.session.rollback()
    return answer
