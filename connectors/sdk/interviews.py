"""An interview result as analytics destinations record it: the `interview_completed` event's
properties and time, read from what the hub puts in an action's `context`, one way for all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.sdk.actions import Action


def result_of(action: Action) -> Mapping[str, Any]:
    found = action.context.get("result", action.context)
    return found if isinstance(found, Mapping) else {}


def event_properties(action: Action) -> dict[str, Any]:
    """Themes and sentiment of the result, with the recipe's rendered fields added."""
    result = result_of(action)
    found = result.get("sentiment")
    sentiment: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    props: dict[str, Any] = {
        "themes": [str(t.get("label")) for t in result.get("themes") or [] if isinstance(t, Mapping)],
        "sentiment": sentiment.get("label"),
        "sentiment_score": sentiment.get("score"),
        "quality": result.get("quality"),
        "result_id": result.get("result_id"),
        "link": action.link,
    }
    return {k: v for k, v in props.items() if v is not None} | dict(action.fields)


def completed_at(action: Action) -> datetime:
    """When the interview ended; now when the result does not say (or says it unreadably)."""
    raw = result_of(action).get("completed_at")
    try:
        return datetime.fromisoformat(str(raw)) if raw else datetime.now(UTC)
    except ValueError:
        return datetime.now(UTC)
