"""The shape of a journey: ordered stages, each an event plus conditions, with the map's assumptions.

Stage conditions use the recipe grammar (recipes.engine.rules) minus what the funnel cannot ask
the database faithfully: dates compared as text and `within_days`, which depend on parsing
times the way the Python evaluator does. What remains is translated to SQL
(recipes.journeys.sql) and means exactly what the evaluator means.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from recipes.engine.rules import FIELD_PATTERN, NUMBER, Contains, Equals, Exists, Number, OneOf, Strict
from recipes.engine.schema import Name, RowId

Rate = Annotated[float, Field(ge=0, le=1), NUMBER]
Note = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
STAGE_OPS = ("eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists")


class NumberCompare(Strict):
    """In a stage, `gt`/`gte`/`lt`/`lte` compare numbers only."""

    field: str = Field(pattern=FIELD_PATTERN, description="properties.<name> (the event) or traits.<name>")
    op: Literal["gt", "gte", "lt", "lte"]
    value: Number


class AllOf(Strict):
    all: list[StageCondition] = Field(min_length=1, max_length=50)


class AnyOf(Strict):
    any: list[StageCondition] = Field(min_length=1, max_length=50)


_TAGS = {"eq": "<eq>", "ne": "<eq>", "in": "<in>", "not_in": "<in>", "contains": "<contains>"}
_TAGS.update({op: "<compare>" for op in ("gt", "gte", "lt", "lte")} | {"exists": "<exists>"})


def _kind(value: Any) -> str | None:
    if not isinstance(value, dict):
        value = {name: getattr(value, name, None) for name in ("all", "any", "op")}
        value = {k: v for k, v in value.items() if v is not None}
    if "all" in value:
        return "<all>"
    if "any" in value:
        return "<any>"
    op = value.get("op")
    return _TAGS.get(op) if isinstance(op, str) else None


StageCondition = Annotated[
    Annotated[AllOf, Tag("<all>")]
    | Annotated[AnyOf, Tag("<any>")]
    | Annotated[Equals, Tag("<eq>")]
    | Annotated[OneOf, Tag("<in>")]
    | Annotated[Contains, Tag("<contains>")]
    | Annotated[NumberCompare, Tag("<compare>")]
    | Annotated[Exists, Tag("<exists>")],
    Discriminator(
        _kind,
        custom_error_type="unknown_op",
        custom_error_message=f"a stage condition is all, any, or a rule whose op is one of {', '.join(STAGE_OPS)}",
    ),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()


class Stage(Strict):
    name: Name
    event: Name = Field(description="the event name that marks reaching this stage")
    conditions: StageCondition | None = Field(
        default=None, description="on the event's properties and the person's current traits"
    )
    intended_rate: Rate | None = Field(
        default=None, description="the map's assumed conversion from the stage before (none on the first)"
    )
    value: Annotated[float, Field(ge=0, le=1e12), NUMBER] | None = Field(
        default=None, description="money lost per person who reaches this stage and goes no further"
    )
    feeling: Note | None = Field(default=None, description="what the customer should feel here")
    recipe_id: RowId | None = Field(default=None, description="the recipe that asks those who leave here why")


class JourneyIn(Strict):
    name: Name
    window_days: Annotated[int, Field(ge=1, le=365), NUMBER] = Field(
        default=30, description="days from entering the first stage in which later stages count"
    )
    stages: list[Stage] = Field(min_length=2, max_length=20)
    snapshot_every_hours: Annotated[int, Field(ge=1, le=720), NUMBER] = Field(
        default=24, description="how often the funnel is snapshotted"
    )
    snapshot_days: Annotated[int, Field(ge=1, le=365), NUMBER] = Field(
        default=7, description="the trailing days of entries each snapshot measures"
    )
    alert_change: Annotated[float, Field(gt=0, le=1), NUMBER] = Field(
        default=0.05, description="how far a stage's rate must move (0-1) to record a journey-changed event"
    )
    alert_min_entered: Annotated[int, Field(ge=1, le=1_000_000), NUMBER] = Field(
        default=20, description="fewer people than this at a stage records no change: too few to tell"
    )
