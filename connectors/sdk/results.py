"""What an interview platform hands the hub: finished interviews, which are not journey events.

A result belongs to an invite (by its signed token or its id) rather than to an identity
kind, and carries a transcript and structured answers; the hub hands these to the insights
domain, which links, validates against the campaign's questions and stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Speaker = Literal["interviewer", "respondent"]
QuestionType = Literal["open_ended", "scale", "single_choice", "multiple_choice", "ranking", "yes_no"]
QUESTION_TYPES: tuple[QuestionType, ...] = (
    "open_ended",
    "scale",
    "single_choice",
    "multiple_choice",
    "ranking",
    "yes_no",
)


@dataclass(frozen=True)
class Turn:
    speaker: Speaker
    text: str


@dataclass(frozen=True)
class Answer:
    """One structured answer; `value` already has its type's shape (text, number, bool or list)."""

    question_id: str
    type: QuestionType
    value: Any


@dataclass(frozen=True)
class InterviewResult:
    """One finished interview. `result_id` is the platform's own id: the idempotency key."""

    result_id: str
    completed_at: datetime
    invite_token: str | None = None
    invite_id: int | None = None
    respondent: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    transcript: tuple[Turn, ...] = ()
    answers: tuple[Answer, ...] = ()
