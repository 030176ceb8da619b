"""What every resource shares: ids in their real range, get-or-404, one page shape, ISO 8601 times.

Ids are at most 64-bit; a path or filter beyond that range could never name a row, and
SQLite refuses to bind such a number (OverflowError), so the range is checked where the
value enters: the `id` path converter (404) and the `Id` type of query and body models (400).
PostgreSQL's INTEGER columns are narrower still (32-bit) and refuse to compare with a larger
bound value, so `fits()` tells a view that such an id names no row there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from werkzeug.routing import IntegerConverter, Map

from hub.db import db
from hub.errors import ApiError

MAX_ID = 2**63 - 1
ID_SCHEMA: dict[str, Any] = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}

Id = Annotated[int, Field(ge=1, le=MAX_ID, json_schema_extra={"format": "int64"})]
"""A row id in a query or body: 1 to 2**63 - 1."""

NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(pattern=NO_NUL)]
"""Text in a query or body: anything a database can store, which for PostgreSQL excludes NUL."""

M = TypeVar("M")
ItemT = TypeVar("ItemT", bound=BaseModel)


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive int64; anything else matches no route, so it answers 404."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def fits(column: Any, value: int) -> bool:
    """Whether `column` can hold `value` in this database; a value it cannot hold names no row."""
    wide = isinstance(column.type, sa.BigInteger) or db.session.get_bind().dialect.name == "sqlite"
    return abs(value) <= (MAX_ID if wide else 2**31 - 1)


def matching(column: Any, value: int) -> sa.ColumnElement[bool]:
    """`column == value`, or a condition no row meets when the column cannot hold the value."""
    return column == value if fits(column, value) else sa.false()


def get_or_404(model: type[M], row_id: int, *, missing: Callable[[int], ApiError] | None = None) -> M:
    """The row, or the 404 the API answers for it; `missing` may explain a gone row better."""
    key = sa.inspect(model).primary_key[0]
    if fits(key, row_id):
        found = db.session.get(model, row_id)
        if found is not None:
            return found
        if missing is not None:
            raise missing(row_id)
    raise ApiError(404, "not_found", f"no {model.__name__.lower()} {row_id}")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list; the OpenAPI document names it after its items (`Page[RunOut]` is `RunPage`)."""

    items: list[ItemT]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last one")


_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?", re.ASCII)


def _iso_text(value: Any) -> Any:
    """Only ISO 8601 text; pydantic alone would read `0.5` or `12345` as seconds since 1970."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_8601.fullmatch(value.strip()):
        raise ValueError("must be an ISO 8601 date and time, e.g. 2026-01-31T09:30:00Z")
    return value.strip()


def _as_utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


UtcDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_as_utc)]
"""ISO 8601 text (RFC 3339, the offset optional: UTC when none is named), as an aware UTC datetime."""
