"""What every door answers once a delivery is parsed: store the usable events, then say what happened.

Both /hooks and /v1 answer 2xx only after `commit_events` committed, and answer the same
figures, so a sender's developer reads one shape whatever door they used.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from connectors.sdk import Parsed, PayloadError, Rejected
from hub.db import db
from hub.errors import ApiError
from hub.inbound.store import commit_events


def store_and_answer(connection_id: int, parsed: Parsed) -> dict[str, Any]:
    """Stores what is usable and says what was not; 400 with the list when nothing is usable."""
    rejected = [asdict(r) for r in parsed.rejected]
    if not parsed.events and not parsed.ignored:
        if not rejected:
            message = "the body holds no events"
            raise ApiError(400, "no_events", message, [{"field": "(body)", "message": message}])
        fields = ", ".join(dict.fromkeys(str(r["field"]) for r in rejected))
        raise ApiError(400, "invalid_events", f"no event is valid: {fields}", rejected)
    stored = commit_events(db.session, connection_id, parsed.events) if parsed.events else None
    return {
        "accepted": len(stored.event_ids) if stored else 0,
        "duplicates": stored.duplicates if stored else 0,
        "rejected": rejected,
        "ignored": _notes(parsed.ignored),
        "warnings": _notes(parsed.warnings),
    }


def _notes(items: list[Rejected]) -> list[dict[str, Any]]:
    return [asdict(item) for item in items]


def payload_error(exc: PayloadError) -> ApiError:
    """A body unusable as a whole: 400 naming the field, in the one error shape."""
    field = exc.field or "(body)"
    return ApiError(400, "invalid_payload", f"{field}: {exc}", [{"field": field, "message": str(exc)}])
