"""The body of `POST /hooks/interviews/<connection id>` (CONTRACT.md "Interview result").

Shapes are checked here, in the sender's own field names (`answers.2.value`); whether an
answer fits its campaign's question is for the insights domain, which knows the campaign.
The `result_id` is the idempotency key, so the signed `webhook-id` may differ per retry.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from connectors.sdk import InboundRequest, Parsed, PayloadError, Rejected
from connectors.sdk import standard_webhooks as signature
from connectors.sdk.json_body import load_json, require_storable
from connectors.sdk.parsing import Invalid, IsoTime
from connectors.sdk.results import Answer, InterviewResult, QuestionType, Turn

MAX_TURNS = 500
MAX_ANSWERS = 200
MAX_TEXT = 20_000
Printable = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[!-~][ -~]*$")]


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: Literal["interviewer", "respondent"]
    text: str = Field(max_length=MAX_TEXT)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: Annotated[str, Field(min_length=1, max_length=100)]
    type: QuestionType
    value: Any

    @field_validator("value")
    @classmethod
    def _shape(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        if kind is not None:
            return _value_of(kind, value)
        return value


def _value_of(kind: str, value: Any) -> Any:
    """Each type's JSON shape; what fits the question (range, options) is checked later."""
    if kind in ("open_ended", "single_choice"):
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValueError(f"must be text of at most {MAX_TEXT} characters for a {kind} question")
        return value
    if kind == "scale":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("must be a number for a scale question")
        if abs(value) > 1_000_000:
            raise ValueError("is far outside any scale")
        return value
    if kind == "yes_no":
        if not isinstance(value, bool):
            raise ValueError("must be true or false for a yes_no question")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 200 for v in value):
        raise ValueError(f"must be a list of option names for a {kind} question")
    if len(value) > 100:
        raise ValueError("holds more than 100 options")
    return value


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    result_id: Printable
    invite_token: str | None = Field(default=None, min_length=1, max_length=2000)
    invite_id: int | None = Field(default=None, ge=1, le=2**63 - 1, strict=True)
    respondent: dict[str, Any] = Field(default_factory=dict)
    started_at: IsoTime | None = None
    completed_at: IsoTime | None = None
    transcript: list[TurnIn] = Field(default_factory=list, max_length=MAX_TURNS)
    answers: list[AnswerIn] = Field(default_factory=list, max_length=MAX_ANSWERS)


class InterviewsWebhook:
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        secret = str(config.get("secret", ""))
        signature.verify(secret, request.headers, request.body, request.received_at, request.tolerance)

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        body = load_json(request.body)
        if not isinstance(body, dict):
            raise PayloadError("must be one interview result object", field="(body)")
        try:
            require_storable(body, "")
            model = ResultIn.model_validate(body)
        except Invalid as exc:
            field, message = exc.problems[0]
            raise PayloadError(message, field=field) from None
        except ValidationError as exc:
            field, message = _first_problem(exc)
            raise PayloadError(message, field=field) from None
        result = InterviewResult(
            result_id=model.result_id,
            invite_token=model.invite_token,
            invite_id=model.invite_id,
            respondent=model.respondent,
            started_at=model.started_at,
            completed_at=model.completed_at or request.received_at,
            transcript=tuple(Turn(t.speaker, t.text) for t in model.transcript),
            answers=tuple(Answer(a.question_id, a.type, a.value) for a in model.answers),
        )
        unknown = sorted(model.model_extra or {})
        return Parsed(
            results=[result],
            warnings=[Rejected(0, name, "unknown field, ignored") for name in unknown],
        )


def _first_problem(exc: ValidationError) -> tuple[str, str]:
    """Pydantic's first error as (dotted field, message), without its "Value error, " prefix."""
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err["loc"]) or "(body)"
    return field, str(err["msg"]).removeprefix("Value error, ")
