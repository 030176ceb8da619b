"""The shape every synthesiser answers in, Claude's and the offline one alike.

Quotes carry their provenance (turn and character span of a respondent turn), so a reader
can always go from a theme to the respondent's own words.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_THEMES = 7
MIN_THEMES = 3
MAX_QUOTES = 3
SentimentLabel = Literal["positive", "negative", "neutral", "mixed"]
Label = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^\x00\n]*\S[^\x00\n]*$")]


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)


class Sentiment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: SentimentLabel
    score: float = Field(ge=-1, le=1, allow_inf_nan=False)


class Quote(BaseModel):
    """`text` is exactly the respondent turn's characters `start`..`end`."""

    text: str
    turn: int
    start: int
    end: int


class Synthesis(BaseModel):
    themes: list[Theme] = Field(max_length=MAX_THEMES)
    sentiment: Sentiment
    quotes: list[Quote] = Field(max_length=MAX_QUOTES)
    quality: int = Field(ge=1, le=5)
    quality_reason: str = Field(min_length=1, max_length=1000)
