"""Structured answers checked against the campaign's questions: a 400 names the question at fault.

The connector has checked each answer's JSON shape for its declared type; only the campaign
knows whether that type is the question's, whether an option exists, whether a scale value
is in range and whether a ranking orders every option exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.sdk import PayloadError
from connectors.sdk.results import Answer


def check_answers(answers: Sequence[Answer], questions: Sequence[Mapping[str, Any]]) -> None:
    """Raises PayloadError naming `answers.<i>.<field>` and the question; no questions, no checks."""
    if not questions:
        return
    by_id = {str(q["id"]): q for q in questions}
    seen: set[str] = set()
    for index, answer in enumerate(answers):
        question = by_id.get(answer.question_id)
        if question is None:
            known = ", ".join(sorted(by_id))
            raise PayloadError(
                f"the campaign has no question {answer.question_id!r} (it has {known})",
                field=f"answers.{index}.question_id",
            )
        if answer.question_id in seen:
            raise PayloadError(
                f"question {answer.question_id!r} is answered twice", field=f"answers.{index}.question_id"
            )
        seen.add(answer.question_id)
        if answer.type != question["type"]:
            raise PayloadError(
                f"question {answer.question_id!r} is {question['type']}, not {answer.type}",
                field=f"answers.{index}.type",
            )
        problem = _problem(answer.value, question)
        if problem:
            raise PayloadError(f"question {answer.question_id!r}: {problem}", field=f"answers.{index}.value")


def _problem(value: Any, question: Mapping[str, Any]) -> str | None:
    kind = question["type"]
    options = [str(o) for o in question.get("options") or []]
    if kind == "scale":
        return _scale(value, question.get("min"), question.get("max"))
    if kind == "single_choice" and options and value not in options:
        return f"{value!r} is not one of its options ({', '.join(options)})"
    if kind == "multiple_choice":
        unknown = [v for v in value if options and v not in options]
        if unknown:
            return f"{unknown[0]!r} is not one of its options ({', '.join(options)})"
        if len(set(value)) != len(value):
            return "names an option twice"
    if kind == "ranking" and options and sorted(value) != sorted(options):
        return f"a ranking must order each of its options exactly once ({', '.join(options)})"
    if kind == "ranking" and len(set(value)) != len(value):
        return "a ranking must name each option once"
    return None


def _scale(value: Any, low: int | None, high: int | None) -> str | None:
    if low is not None and value < low or high is not None and value > high:
        bounds = f"{'' if low is None else low} to {'' if high is None else high}".strip()
        return f"{value} is outside its scale ({bounds})"
    return None
