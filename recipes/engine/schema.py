"""The shapes of recipes and suppression rules as pydantic models: data, never code.

Triggers are told apart by their `type` with a callable discriminator whose tags (`<after>`)
error paths leave out, as they do for conditions (recipes.engine.rules).
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, JsonValue, StrictBool, Tag, field_validator

from recipes.engine.rules import NUMBER, Condition, Strict
from recipes.engine.settings import DEFAULT_PER_PERSON_DAYS, DEFAULT_TIMEZONE

RowId = Annotated[int, Field(ge=1, le=2**31 - 1), NUMBER]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


class EventTrigger(Strict):
    type: Literal["event"]
    event: Name


class CohortTrigger(Strict):
    type: Literal["cohort_entered", "cohort_exited"]
    cohort_id: RowId


class AfterTrigger(Strict):
    type: Literal["after"]
    event: Name
    days: Annotated[int, Field(ge=1, le=3650), NUMBER]
    backfill: StrictBool = Field(
        default=False, description="also fire for windows that closed before the recipe existed"
    )


class AbsenceTrigger(Strict):
    type: Literal["absence"]
    event: Name
    missing: Name
    within_days: Annotated[int, Field(ge=1, le=3650), NUMBER]
    backfill: StrictBool = Field(
        default=False, description="also fire for windows that closed before the recipe existed"
    )


TRIGGER_TYPES = ("event", "cohort_entered", "cohort_exited", "after", "absence")


def _trigger_type(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if kind in ("cohort_entered", "cohort_exited"):
        return "<cohort>"
    return f"<{kind}>" if kind in TRIGGER_TYPES else None


Trigger = Annotated[
    Annotated[EventTrigger, Tag("<event>")]
    | Annotated[CohortTrigger, Tag("<cohort>")]
    | Annotated[AfterTrigger, Tag("<after>")]
    | Annotated[AbsenceTrigger, Tag("<absence>")],
    Discriminator(
        _trigger_type,
        custom_error_type="unknown_trigger",
        custom_error_message=f"type must be one of {', '.join(TRIGGER_TYPES)}",
    ),
]


class QuietHours(Strict):
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, local time")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, local time")


class EveryDays(Strict):
    days: Annotated[int, Field(ge=1, le=3650), NUMBER]


class Caps(Strict):
    per_person_days: Annotated[int, Field(ge=0, le=3650), NUMBER] | None = Field(
        default=None, description="across campaigns; omitted: the workspace's default"
    )
    per_campaign_person: Literal["once"] | EveryDays = "once"
    daily_budget: Annotated[int, Field(ge=1, le=1_000_000), NUMBER] | None = None
    when_capped: Literal["drop", "defer"] = "drop"


class Action(Strict):
    on: Literal["finding", "finding_changed", "result", "journey_changed"] = Field(
        description="journey_changed: a stage whose asking recipe this is moved its rate (journeys' alert_change)"
    )
    connection_id: RowId
    operation: Literal["create_issue", "comment", "post_message", "update_fields", "track"]
    fields: dict[
        Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")],
        Annotated[str, Field(max_length=10_000, pattern=r"^[^\x00]*$")],
    ] = Field(
        default_factory=dict,
        description="destination field: sandboxed template over finding, result, profile (journey for journey_changed)",
    )


class RecipeIn(Strict):
    name: Name
    enabled: StrictBool = True
    trigger: Trigger
    conditions: Condition | None = None
    screener: Condition | None = None
    sample_percent: Annotated[float, Field(ge=0, le=100), NUMBER] = 100
    delay_minutes: Annotated[int, Field(ge=0, le=525_600), NUMBER] = 0
    quiet_hours: QuietHours | None = None
    caps: Caps = Field(default_factory=Caps)
    campaign_id: RowId
    actions: list[Action] = Field(default_factory=list, max_length=20)


class SuppressionRule(Strict):
    name: Name
    conditions: Condition


class SuppressionIn(Strict):
    rules: list[SuppressionRule] = Field(default_factory=list, max_length=100)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class WorkspaceIn(Strict):
    """The workspace's automation defaults."""

    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        max_length=64,
        description="IANA time zone (Europe/Paris): quiet hours of people without a timezone trait, "
        "and the calendar day a campaign's daily budget counts",
        json_schema_extra={"enum": list[JsonValue](sorted(_zones()))},
    )
    per_person_days: Annotated[int, Field(ge=1, le=3650), NUMBER] = Field(
        default=DEFAULT_PER_PERSON_DAYS,
        description="one interview per person per this many days, across campaigns, unless a recipe says",
    )

    @field_validator("timezone")
    @classmethod
    def _a_zone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError("not an IANA time zone name, such as Europe/Paris or UTC")
        return value


COHORT_EVENTS = ("cohort_entered", "cohort_exited")


def trigger_key(trigger: EventTrigger | CohortTrigger | AfterTrigger | AbsenceTrigger) -> str:
    """How the engine finds a recipe: by the event that sets it off (`event:signed_up`), and a
    cohort recipe by its cohort (`cohort_entered:3`), so other cohorts' events never reach it."""
    if isinstance(trigger, CohortTrigger):
        return f"{trigger.type}:{trigger.cohort_id}"
    return f"{'event' if trigger.type == 'event' else trigger.type}:{trigger.event}"


def event_keys(name: str, properties: Mapping[str, Any]) -> tuple[str, ...]:
    """The trigger keys one stored event sets off (see `trigger_key`)."""
    cohort = properties.get("cohort_id") if name in COHORT_EVENTS else None
    return (f"event:{name}",) if cohort is None else (f"event:{name}", f"{name}:{cohort}")
