"""The shape of a condition: `{"all": [...]}`, `{"any": [...]}`, or one rule on a field.

Each operator is its own model, so the OpenAPI document says what value goes with it (a list
for `in`, a number of days for `within_days`). One callable discriminator tells every kind
apart; its tags are written `<eq>` so error paths can leave them out (`conditions.all[1].op`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, Tag


def _a_json_number(value: Any) -> Any:
    """Only a JSON number: pydantic alone reads true as 1 and "5" as 5."""
    if isinstance(value, bool | str):
        raise ValueError("must be a number")
    return value


NUMBER = BeforeValidator(_a_json_number)
"""Last in `Annotated[int, Field(ge=…), NUMBER]`: after it, pydantic would not document the bounds."""
FIELD_PATTERN = r"^(properties|traits)\.[A-Za-z0-9_$-]{1,100}(\.[A-Za-z0-9_$-]{1,100}){0,4}$"
Text = Annotated[str, Field(max_length=1000, pattern=r"^[^\x00]*$")]
Number = Annotated[int, NUMBER] | Annotated[float, NUMBER]
"""A whole number stays one (`50`, not `50.0`) in what is stored and shown back."""
Scalar = Text | Number | StrictBool | None
OPS = ("eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists", "within_days")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Rule(Strict):
    field: str = Field(pattern=FIELD_PATTERN, description="properties.<name> (the event) or traits.<name>")


class Equals(_Rule):
    op: Literal["eq", "ne"]
    value: Scalar


class OneOf(_Rule):
    op: Literal["in", "not_in"]
    value: list[Scalar] = Field(max_length=1000)


class Contains(_Rule):
    """A text holds the value, or a list has it as an item."""

    op: Literal["contains"]
    value: Scalar


class Compare(_Rule):
    """Numbers compare as numbers; text as ISO 8601 dates (`2026-01-31T00:00:00Z`)."""

    op: Literal["gt", "gte", "lt", "lte"]
    value: Text | Number


class Exists(_Rule):
    op: Literal["exists"]
    value: StrictBool = True


class WithinDays(_Rule):
    """The field is a date in the last `value` days."""

    op: Literal["within_days"]
    value: Annotated[float, Field(gt=0, le=36500), NUMBER]


class All(Strict):
    all: list[Condition] = Field(min_length=1, max_length=50)


class Any_(Strict):
    any: list[Condition] = Field(min_length=1, max_length=50)


_TAG_OF_OP = {
    "eq": "<eq>",
    "ne": "<eq>",
    "in": "<in>",
    "not_in": "<in>",
    "contains": "<contains>",
    "gt": "<compare>",
    "gte": "<compare>",
    "lt": "<compare>",
    "lte": "<compare>",
    "exists": "<exists>",
    "within_days": "<within>",
}


def _kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = {name: getattr(value, name) for name in type(value).model_fields}
    if not isinstance(value, dict):
        return None
    if "all" in value:
        return "<all>"
    if "any" in value:
        return "<any>"
    op = value.get("op")
    return _TAG_OF_OP.get(op) if isinstance(op, str) else None


Rule = Equals | OneOf | Contains | Compare | Exists | WithinDays
Condition = Annotated[
    Annotated[All, Tag("<all>")]
    | Annotated[Any_, Tag("<any>")]
    | Annotated[Equals, Tag("<eq>")]
    | Annotated[OneOf, Tag("<in>")]
    | Annotated[Contains, Tag("<contains>")]
    | Annotated[Compare, Tag("<compare>")]
    | Annotated[Exists, Tag("<exists>")]
    | Annotated[WithinDays, Tag("<within>")],
    Discriminator(
        _kind,
        custom_error_type="unknown_op",
        custom_error_message=f"a condition is all, any, or a rule whose op is one of {', '.join(OPS)}",
    ),
]
All.model_rebuild()
Any_.model_rebuild()
