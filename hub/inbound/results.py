"""Interview results (Parsed.results) go to the domain that stores them, then the hub commits.

The insights domain registers its handler in recipes.registry (RESULTS); the hub only runs it
in the request's transaction and answers 200 once it committed, or 400 naming the field
when an answer does not fit its question (nothing stored).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from connectors.sdk import Parsed, PayloadError
from hub.db import db
from hub.inbound.answer import payload_error


def store_results(connection_id: int, parsed: Parsed) -> dict[str, Any]:
    from recipes.registry import RESULTS  # recipes' API modules load hub.api first

    try:
        answer = RESULTS(db.session, connection_id, parsed.results)
    except PayloadError as exc:
        db.session.rollback()
        raise payload_error(exc) from None
    db.session.commit()
    return {**answer, "warnings": [asdict(w) for w in parsed.warnings]}
