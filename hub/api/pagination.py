"""Keyset pagination over ids, newest first: stable under concurrent inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from hub.api.common import MAX_ID, Text, fits
from hub.db import db
from hub.errors import ApiError

T = TypeVar("T")


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500)
    cursor: Text | None = Field(
        default=None, max_length=200, description="the next_cursor of the page before"
    )


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points below; anything this API could not have returned is a 400."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id" or not value.isascii() or not value.isdigit():
            raise ValueError(text)
        last_id = int(value)
    except (ValueError, binascii.Error):
        last_id = 0
    if not 1 <= last_id <= MAX_ID:
        raise ApiError(
            400,
            "invalid_cursor",
            "cursor is not one this API returned",
            [{"field": "cursor", "message": "pass the next_cursor of the page before, unchanged"}],
        )
    return last_id


def page(
    stmt: sa.Select[T],
    id_column: sa.ColumnElement[int] | Any,
    query: PageQuery,
    render: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    if query.cursor and fits(id_column, last_id := decode_cursor(query.cursor)):
        stmt = stmt.where(id_column < last_id)
    rows: Sequence[T] = db.session.scalars(stmt.order_by(id_column.desc()).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = encode_cursor(getattr(rows[-1], "id")) if more and rows else None  # noqa: B009
    return {"items": [render(r) for r in rows], "next_cursor": next_cursor}
