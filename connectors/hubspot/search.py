"""How HubSpot's CRM search judges one contact against a filter, and orders the matches.

Kept apart from the fake because these rules depend only on a contact's property values
and the filter's JSON, not on how the fake stores or pages contacts.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import datetime
from typing import Any

from connectors.sdk.fakes.handlers import ApiError

DATE_PROPERTIES = frozenset({"createdate", "lastmodifieddate"})


def comparable(name: str | None, value: Any) -> Any:
    """HubSpot compares dates as epoch milliseconds and numbers as numbers, other text ignoring case."""
    if value is None:
        return None
    text = str(value)
    if name in DATE_PROPERTIES and not text.isdigit():
        try:
            return float(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError as exc:
            raise ApiError(400, f"{text} is not a valid date for {name}") from exc
    try:
        return float(text)
    except ValueError:
        return text.lower()


def sort_key(value: Any) -> tuple[int, float, str]:
    """Numbers, then text, then missing values: a property mixing them still sorts without a TypeError."""
    if isinstance(value, float):
        return 0, value, ""
    return (1, 0.0, value) if isinstance(value, str) else (2, 0.0, "")


def matches_filter(values: dict[str, Any], spec: dict[str, Any]) -> bool:
    name, operator = spec.get("propertyName"), spec.get("operator", "EQ")
    actual = values.get(name) if name else None
    present = actual not in (None, "")
    if operator == "HAS_PROPERTY":
        return present
    if operator == "NOT_HAS_PROPERTY":
        return not present
    if operator in ("IN", "NOT_IN"):
        inside = present and str(actual).lower() in {str(v).lower() for v in spec.get("values") or []}
        return inside if operator == "IN" else not inside
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(spec.get("value", "")).lower()
        text = str(actual or "").lower()
        found = present and (
            fnmatch.fnmatch(text, pattern) if "*" in pattern else pattern in re.split(r"[^\w]+", text)
        )
        return found if operator == "CONTAINS_TOKEN" else not found
    left, right = comparable(name, actual), comparable(name, spec.get("value"))
    if operator == "EQ":
        return present and bool(left == right)
    if operator == "NEQ":
        return bool(left != right)
    if not present or right is None or type(left) is not type(right):
        return False
    if operator == "BETWEEN":
        high = comparable(name, spec.get("highValue"))
        return type(high) is type(left) and bool(right <= left <= high)
    comparisons = {"LT": left < right, "LTE": left <= right, "GT": left > right, "GTE": left >= right}
    if operator not in comparisons:
        raise ApiError(400, f"Unknown filter operator {operator}")
    return bool(comparisons[operator])
