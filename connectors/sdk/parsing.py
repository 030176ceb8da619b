"""Small pieces every webhook receiver needs, so each one rejects bad input the same way.

A receiver turns raw bytes into journey events; the messages here name the field and the
parser's own reason, because the sender's developer reads them in their delivery log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationError

from connectors.sdk.events import PayloadError
from connectors.sdk.identity import normalise

NUMERIC_TEXT = re.compile(r"\s*[-+]?\d+(\.\d*)?\s*")


class Invalid(Exception):
    """One item of a batch is unusable; `problems` are (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | datetime) or (isinstance(value, str) and NUMERIC_TEXT.fullmatch(value)):
        raise ValueError("must be an ISO 8601 string")
    return value


def _in_utc(value: datetime) -> datetime:
    try:
        return to_utc(value)
    except OverflowError:
        raise ValueError("is outside the years 1 to 9999 once in UTC") from None


IsoTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]
"""A pydantic datetime, aware and in UTC, that refuses numbers (also as text: senders of ISO
times mean ISO times, and pydantic would guess seconds or milliseconds)."""


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
        ((prefix + ".".join(str(p) for p in err["loc"])).rstrip(".") or "(body)", err["msg"])
        for err in exc.errors(include_url=False)
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
