"""What the journey endpoints answer, as pydantic models the OpenAPI document is generated from."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hub.api.common import UtcDateTime
from recipes.engine.schema import Name, RowId
from recipes.journeys.schema import JourneyIn


class JourneyOut(JourneyIn):
    id: int
    created_at: datetime
    updated_at: datetime


class FunnelQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: UtcDateTime | None = Field(
        default=None, description="people who entered at or after; omitted: all"
    )
    until: UtcDateTime | None = Field(default=None, description="people who entered before; omitted: now")
    segment: str | None = Field(
        default=None,
        pattern=r"^traits\.[A-Za-z0-9_$-]{1,100}(\.[A-Za-z0-9_$-]{1,100}){0,4}$",
        description="traits.<name>: the funnel again per value of the person's trait (the 20 largest)",
    )


class QuoteOut(BaseModel):
    text: str
    result_id: int


class ReasonOut(BaseModel):
    theme: str
    share: float
    interviews: int
    status: str = Field(description="finding or emerging")
    quotes: list[QuoteOut]


class SegmentStageOut(BaseModel):
    number: int
    name: str
    next: str | None
    entered: int
    converted: int | None = Field(description="reached the next stage in order within the window")
    actual_rate: float | None
    intended_rate: float | None = Field(description="the next stage's intended_rate: the map's assumption")
    gap: float | None = Field(description="intended_rate - actual_rate")
    cost: float | None = Field(description="entered × gap × value, where the real rate falls short")
    median_hours_to_next: float | None
    p90_hours_to_next: float | None
    skipped: int = Field(description="did a later stage within their window, never this one")
    skipped_share: float | None
    out_of_order: int = Field(description="did this stage within their window, but not after the one before")
    out_of_order_share: float | None
    rank: int | None = Field(description="1 for the costliest stage")


class StageOut(SegmentStageOut):
    feeling: str | None
    recipe_id: int | None
    findings: list[ReasonOut]


class SegmentOut(BaseModel):
    value: str | None = Field(description="the trait's value; null for people without it")
    stages: list[SegmentStageOut]


class FunnelOut(BaseModel):
    journey_id: int
    since: datetime | None
    until: datetime
    window_days: int
    stages: list[StageOut]
    by_cost: list[int] = Field(description="stage numbers, costliest first")
    segment: str | None
    segments: list[SegmentOut]


class AskWhyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: RowId = Field(description="the campaign that interviews them")
    name: Name | None = Field(default=None, description="omitted: named after the journey and stage")


class SnapshotStageOut(BaseModel):
    number: int
    name: str
    next: str | None
    entered: int
    converted: int | None
    actual_rate: float | None


class SnapshotOut(BaseModel):
    id: int
    journey_id: int
    taken_at: datetime
    since: datetime
    until: datetime
    stages: list[SnapshotStageOut]


class ChangeOut(BaseModel):
    id: int
    journey_id: int
    snapshot_id: int
    stage: int
    stage_name: str
    next_stage: str
    rate_before: float
    rate: float
    entered: int
    reasons: list[dict[str, object]]
    summary: str
    at: datetime
    handled_at: datetime | None
