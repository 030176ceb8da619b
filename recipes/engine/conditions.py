"""Our own small evaluator of conditions over data: no `eval`, no SQL, only these operators.

`failure(condition, facts)` answers None when the condition holds, or the reason it does not
in plain words, because a decision must say which test held a person back and why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

MISSING: Any = object()


@dataclass(frozen=True)
class Facts:
    """What conditions read: the event's properties, the person's traits, and the time now."""

    properties: Mapping[str, Any]
    traits: Mapping[str, Any]
    now: datetime


def failure(condition: Mapping[str, Any], facts: Facts) -> str | None:
    if "all" in condition:
        for part in condition["all"]:
            reason = failure(part, facts)
            if reason is not None:
                return reason
        return None
    if "any" in condition:
        reasons = []
        for part in condition["any"]:
            reason = failure(part, facts)
            if reason is None:
                return None
            reasons.append(reason)
        return "none of these held: " + "; ".join(reasons)
    return _rule_failure(condition, facts)


@functools.lru_cache(maxsize=4096)
def _path(field: str) -> tuple[bool, tuple[str, ...]]:
    """(reads the event's properties, the keys under it), parsed once per field name."""
    source, *path = field.split(".")
    return source == "properties", tuple(path)


def lookup(field: str, facts: Facts) -> Any:
    """`properties.plan.tier` reads nested objects; a missing step gives MISSING."""
    of_event, path = _path(field)
    value: Any = facts.properties if of_event else facts.traits
    for key in path:
        if not (type(value) is dict or isinstance(value, Mapping)) or key not in value:
            return MISSING
        value = value[key]
    return value


def _rule_failure(rule: Mapping[str, Any], facts: Facts) -> str | None:
    actual = lookup(rule["field"], facts)
    op, expected = rule["op"], rule.get("value")
    if OPERATORS[op](actual, expected, facts.now):
        return None
    shown = "missing" if actual is MISSING else repr(actual)
    return f"{rule['field']} is {shown}, wanted {op.replace('_', ' ')} {expected!r}"


def _number(value: Any) -> float | None:
    """A JSON number as a float; True and False are not numbers here. Exact types: values come from JSON."""
    kind = type(value)
    return float(value) if kind is int or kind is float else None


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 text or seconds since 1970, as an aware UTC datetime."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    number = _number(value)
    if number is None:
        return None
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _equal(actual: Any, expected: Any) -> bool:
    if actual is MISSING:
        return False
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left == right
    return type(actual) is type(expected) and bool(actual == expected)


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any, datetime], bool]:
    """Numbers as numbers; otherwise both sides as moments in time; anything else fails."""

    def check(actual: Any, expected: Any, _now: datetime) -> bool:
        left, right = _number(actual), _number(expected)
        if left is not None and right is not None:
            return test(left, right)
        if isinstance(expected, str):
            a, b = _moment(actual), _moment(expected)
            return a is not None and b is not None and test(a, b)
        return False

    return check


def _contains(actual: Any, expected: Any, _now: datetime) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        return expected in actual
    if isinstance(actual, list):
        return any(_equal(item, expected) for item in actual)
    return False


def _within_days(actual: Any, days: Any, now: datetime) -> bool:
    moment = _moment(actual)
    return moment is not None and now - timedelta(days=float(days)) <= moment <= now


OPERATORS: dict[str, Callable[[Any, Any, datetime], bool]] = {
    "eq": lambda a, e, _n: _equal(a, e),
    "ne": lambda a, e, _n: not _equal(a, e),
    "in": lambda a, e, _n: any(_equal(a, item) for item in e),
    "not_in": lambda a, e, _n: not any(_equal(a, item) for item in e),
    "contains": _contains,
    "gt": _compare(lambda a, b: a > b),
    "gte": _compare(lambda a, b: a >= b),
    "lt": _compare(lambda a, b: a < b),
    "lte": _compare(lambda a, b: a <= b),
    "exists": lambda a, e, _n: (a is not MISSING and a is not None) == (e is not False),
    "within_days": _within_days,
}
