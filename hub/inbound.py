"""Small pieces every webhook receiver needs, so each one rejects bad input the same way.

A receiver turns raw bytes into journey events; the messages here name the field and the
parser's own reason, because the sender's developer reads them in their delivery log.
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any

from connectors.base import PayloadError


def load_json(body: bytes) -> Any:
    """The decoded body, or PayloadError carrying json's reason (line, column)."""
    if not body.strip():
        raise PayloadError("the body is empty; expected JSON", field="(body)")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise PayloadError(f"the body is not UTF-8: {exc.reason}", field="(body)") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"malformed JSON: {exc}", field="(body)") from None


def parse_iso(value: Any, field: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; a time without an offset is taken as UTC."""
    if not isinstance(value, str):
        raise PayloadError("must be an ISO 8601 string", field=field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise PayloadError(f"not an ISO 8601 time: {value[:40]!r}", field=field) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def from_epoch(value: Any, field: str, *, millis: bool) -> datetime:
    """Provider timestamps in (milli)seconds since the epoch; strings of digits are accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError("must be a number of " + ("milliseconds" if millis else "seconds"), field=field)
    try:
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if millis else number, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"not a timestamp: {str(value)[:40]!r}", field=field) from None


def same_digest(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures as text."""
    return hmac.compare_digest(expected.encode(), given.encode())
