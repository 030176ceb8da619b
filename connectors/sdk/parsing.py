"""Small pieces every webhook receiver needs, so each one rejects bad input the same way.

A receiver turns raw bytes into journey events; the messages here name the field and the
parser's own reason, because the sender's developer reads them in their delivery log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from connectors.sdk.events import PayloadError
from connectors.sdk.identity import normalise


class Invalid(Exception):
    """One item of a batch is unusable; `problems` are (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


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


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 string")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_text)]
"""A pydantic datetime that refuses numbers: senders of ISO times mean ISO times."""


def _id_text(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a string or a whole number")
    return str(value)


IdText = Annotated[str, BeforeValidator(_id_text)]
"""An id as text: systems send user ids as strings or numbers, and both mean the same person."""


def from_epoch(value: Any, field: str, *, millis: bool) -> datetime:
    """Provider timestamps in (milli)seconds since the epoch; strings of digits are accepted."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError("must be a number of " + ("milliseconds" if millis else "seconds"), field=field)
    try:
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if millis else number, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"not a timestamp: {str(value)[:40]!r}", field=field) from None


def to_utc(value: datetime) -> datetime:
    """Aware UTC; a time without an offset is taken to be UTC already, as senders mean it."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def validation_problems(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Pydantic's errors as (dotted field, message), the field in the sender's own names."""
    return [
        (prefix + ".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors(include_url=False)
    ]


def check_identities(identities: Mapping[str, Any], fields: Mapping[str, str], missing_field: str) -> None:
    """Raises Invalid unless at least one identity is usable and none is malformed."""
    usable = 0
    for kind, value in identities.items():
        try:
            usable += normalise(kind, value) is not None
        except ValueError as exc:
            raise Invalid([(fields.get(kind, kind), str(exc))]) from None
    if not usable:
        names = [fields.get(k, k).rsplit(".", 1)[-1] for k in identities]
        raise Invalid([(missing_field, f"one of {', '.join(names[:-1])} or {names[-1]} is required")])
