"""Intercom's search language (contacts and conversations): which queries it accepts, how one record fares.

Kept apart from the fake because the rules depend only on the query's JSON and the
record as the API renders it; segment and tag membership, which only the fake knows,
comes in as a callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.sdk.fakes.handlers import ApiError

MAX_FILTERS, MAX_DEPTH = 15, 2
SEARCHABLE = frozenset(
    {
        "id",
        "role",
        "name",
        "email",
        "email_domain",
        "phone",
        "external_id",
        "created_at",
        "updated_at",
        "signed_up_at",
        "last_seen_at",
        "owner_id",
        "location",
        "custom_attributes",
        "segment_id",
        "tag_id",
        "unsubscribed_from_emails",
    }
)


CONVERSATION_SEARCHABLE = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "source",
        "contact_ids",
        "teammate_ids",
        "admin_assignee_id",
        "team_assignee_id",
        "channel_initiated",
        "open",
        "read",
        "state",
        "waiting_since",
        "snoozed_until",
        "tag_ids",
        "priority",
        "statistics",
        "conversation_rating",
    }
)


def validate(node: Any, depth: int = 0, searchable: frozenset[str] = SEARCHABLE) -> None:
    if not isinstance(node, dict):
        raise ApiError(400, "query must be an object")
    if "field" in node:
        if str(node["field"]).split(".", 1)[0] not in searchable:
            raise ApiError(400, f"{node['field']} is not a searchable field")
        if node.get("operator") not in ("=", "!=", "IN", "NIN", "<", ">", "~", "!~", "^", "$"):
            raise ApiError(400, f"Operator {node.get('operator')} is not supported")
        return
    if node.get("operator") not in ("AND", "OR") or not isinstance(node.get("value"), list):
        raise ApiError(400, "Nested queries need operator AND|OR and a list value")
    if depth >= MAX_DEPTH or len(node["value"]) > MAX_FILTERS:
        raise ApiError(400, f"At most {MAX_DEPTH} levels of nesting and {MAX_FILTERS} filters per group")
    for child in node["value"]:
        validate(child, depth + 1, searchable)


def evaluate(
    node: dict[str, Any], contact: Callable[[], dict[str, Any]], member: Callable[[str, Any], bool]
) -> bool:
    """``contact`` renders lazily, so a query decided by membership alone never renders one."""
    if "field" not in node:
        results = (evaluate(child, contact, member) for child in node["value"])
        return all(results) if node["operator"] == "AND" else any(results)
    field, operator, value = node["field"], node["operator"], node.get("value")
    if field in ("segment_id", "tag_id"):
        hit = any(member(field, ref) for ref in (value if isinstance(value, list) else [value]))
        return hit if operator in ("=", "IN") else not hit
    actual: Any = contact()
    for part in field.split("."):
        actual = actual.get(part) if isinstance(actual, dict) else None
    return compare(actual, operator, value)


def compare(actual: Any, operator: str, value: Any) -> bool:
    if operator in ("IN", "NIN"):
        inside = actual is not None and str(actual).lower() in {str(v).lower() for v in value or []}
        return inside if operator == "IN" else not inside
    if operator in ("<", ">"):
        try:
            bound = float(value)
        except (TypeError, ValueError):
            return False
        if not isinstance(actual, int | float):
            return False
        return actual < bound if operator == "<" else actual > bound
    if operator in ("=", "!="):
        equal = (
            actual is None
            if value is None
            else actual is not None and str(actual).lower() == str(value).lower()
        )
        return equal if operator == "=" else not equal
    text, part = str(actual or "").lower(), str(value or "").lower()
    if operator == "!~":
        return part not in text
    return (
        actual is not None
        and {"~": part in text, "^": text.startswith(part), "$": text.endswith(part)}[operator]
    )
