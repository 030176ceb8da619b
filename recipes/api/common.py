"""What the automation resources share: their output envelope and the answers of a delete."""

from __future__ import annotations

from typing import Any

from spectree import Response as Answers

from hub.api.spec import GUARDED, ErrorBody


def deleted() -> Answers:
    """A delete answers 204 and no body; 404 when the row is not there, 409 when it is still used."""
    errors: dict[str, Any] = {f"HTTP_{code}": ErrorBody for code in sorted({*GUARDED, 404, 409})}
    return Answers("HTTP_204", **errors)


def envelope(row: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        **row.definition,
        **extra,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
