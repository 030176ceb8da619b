"""Events and recipes as the engine reads them: plain frozen rows, not ORM objects.

Plain rows are read once per batch and stay as they are: an ORM object would be expired by
a rollback (a batch retried after a deadlock) and reloaded one query at a time when next read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.models import Event, Recipe


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    name: str
    profile_id: int
    properties: dict[str, Any]
    occurred_at: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class RecipeRow:
    id: int
    version: int
    campaign_id: int
    trigger_key: str
    definition: dict[str, Any]
    created_at: datetime


EVENT_COLUMNS = (
    Event.id,
    Event.name,
    Event.profile_id,
    Event.properties,
    Event.occurred_at,
    Event.received_at,
)
RECIPE_COLUMNS = (
    Recipe.id,
    Recipe.version,
    Recipe.campaign_id,
    Recipe.trigger_key,
    Recipe.definition,
    Recipe.created_at,
)


def events(session: Session, *criteria: sa.ColumnElement[bool], limit: int | None = None) -> list[EventRow]:
    stmt = sa.select(*EVENT_COLUMNS).where(*criteria).order_by(Event.id).limit(limit)
    return [EventRow(*row) for row in session.connection().execute(stmt)]


def recipes(session: Session, *criteria: sa.ColumnElement[bool]) -> list[RecipeRow]:
    stmt = sa.select(*RECIPE_COLUMNS).where(Recipe.enabled.is_(True), *criteria).order_by(Recipe.id)
    return [RecipeRow(*row) for row in session.connection().execute(stmt)]


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The INSERT that knows ON CONFLICT in the session's dialect."""
    return postgresql.insert if _postgres(session) else sqlite.insert


def write_rows(
    session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]], finish: Callable[[Any], Any]
) -> tuple[list[Any], int]:
    """INSERTs `rows` (all with the same keys), `finish` adding ON CONFLICT and RETURNING to the
    statement; answers the rows RETURNING gave and how many rows the statements wrote.

    On PostgreSQL the rows travel as one JSON parameter unpacked by `json_to_recordset`, as
    ingest sends its batches (hub/inbound/bulk.py): the statement's text is the same for
    every batch, so neither SQLAlchemy nor psycopg rebuild it, where a VALUES list is new
    text for each number of rows. Rows are inserted in the order given.
    """
    if not rows:
        return [], 0
    if _postgres(session):
        parts = [_from_json(table, rows)]
    else:
        size = max(1, _sqlite_variables(session) // len(rows[0]))
        parts = [sqlite.insert(table).values(list(rows[n : n + size])) for n in range(0, len(rows), size)]
    returned: list[Any] = []
    written = 0
    for part in parts:
        result = session.connection().execute(finish(part).execution_options(preserve_rowcount=True))
        if result.returns_rows:
            returned += result.all()
        written += max(result.rowcount, 0)
    return returned, written


def _from_json(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> Any:
    names = list(rows[0])
    batch = json.dumps(rows, separators=(",", ":"), default=_iso)
    found = (
        sa.func.json_to_recordset(sa.cast(sa.bindparam("rows", batch, type_=sa.Text), postgresql.JSON))
        .table_valued(*(sa.column(name, table.c[name].type) for name in names))
        .render_derived(with_types=True)
    )
    return postgresql.insert(table).from_select(names, sa.select(*(found.c[name] for name in names)))


def _sqlite_variables(session: Session) -> int:
    """How many parameters this SQLite build takes in one statement (32,766 by default, more in
    some distributions' builds); a larger batch is written in parts."""
    raw = session.connection().connection.dbapi_connection
    return cast(int, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))  # type: ignore[union-attr]


def _iso(value: datetime) -> str:
    """How json.dumps writes the datetimes it cannot write itself (called for nothing else)."""
    return value.isoformat()


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def among(
    session: Session, column: sa.ColumnElement[int] | InstrumentedAttribute[int], ids: Sequence[int]
) -> sa.ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL one array parameter written as text (`{1,2,3}`), so the
    statement's text (and the plan PostgreSQL prepares for it) is the same whatever the number
    of ids, and the ids cost one join instead of psycopg dumping an array item by item."""
    if _postgres(session):
        listed = sa.literal("{" + ",".join(map(str, ids)) + "}", sa.Text)
        return column == sa.any_(sa.cast(listed, postgresql.ARRAY(sa.BigInteger())))
    return column.in_(ids)
