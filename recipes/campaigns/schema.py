"""The shape of a campaign: what an invite says, where it links to, which channel carries it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from recipes.engine.rules import NUMBER, Strict
from recipes.engine.schema import Name, RowId

URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?$"
Text = Annotated[str, Field(max_length=10_000, pattern=r"^[^\x00]*$")]


class Question(Strict):
    id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
    type: Literal["open_ended", "scale", "single_choice", "multiple_choice", "ranking", "yes_no"]
    text: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
    options: list[Name] = Field(default_factory=list, max_length=50)
    min: Annotated[int, Field(ge=-1000, le=1000), NUMBER] | None = None
    max: Annotated[int, Field(ge=-1000, le=1000), NUMBER] | None = None


class CampaignIn(Strict):
    name: Name
    interview_url: str = Field(max_length=2000, pattern=URL_PATTERN)
    channel: Literal["email", "intercom", "webhook"]
    connection_id: RowId | None = Field(default=None, description="the email, intercom or generic connection")
    subject: Text = ""
    body: Text = ""
    context: list[Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]] = Field(
        default_factory=list, max_length=50, description="traits embedded in the signed link"
    )
    questions: list[Question] = Field(default_factory=list, max_length=100)
    link_expiry_days: Annotated[
        int, Field(ge=1, le=365, description="days an invite's signed link stays valid"), NUMBER
    ] = 30


CHANNEL_CONNECTORS = {"email": "email", "intercom": "intercom", "webhook": "generic"}
"""Which connector delivers each channel."""
