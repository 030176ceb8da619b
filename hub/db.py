"""Database engine and session, bound to the app by `init_app`.

flask-sqlalchemy-lite owns the engine and the request-scoped session; models are plain
SQLAlchemy 2.0 typed declarative classes so they work the same inside jobs and scripts.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import flask_sqlalchemy_lite._extension
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session

from hub.config import Settings

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Always timezone-aware UTC in Python, whatever the database keeps (SQLite keeps none)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONType, datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_ignore(session: Session, model: type[Base]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect: how claims and duplicates stay race-free."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


db = SQLAlchemy()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    _wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _wal(cursor: Any, wait_s: float = 10.0) -> None:
    """WAL is a property of the file, so only a file not in WAL yet is switched. Switching needs the
    file to itself and the busy timeout does not wait for that: two processes opening a new file
    at once saw "database is locked". The loser waits until the winner has switched it."""
    deadline = time.monotonic() + wait_s
    while str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def create_private_file(path: str) -> None:
    """Creates the SQLite file readable by its owner alone, before SQLite would create it 0644.

    It holds people's emails and traits. SQLite gives the -wal and -shm files it makes later
    the main file's permissions, so they are private too. An existing file is left as it is.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o600))


def engine_options(settings: Settings) -> dict[str, Any]:
    url = sa.make_url(settings.sqlalchemy_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            create_private_file(url.database)
        return {"url": url, "connect_args": {"check_same_thread": False, "timeout": 10}}
    return {"url": url, "pool_size": 10, "max_overflow": 10}


PING_AFTER_IDLE_S = 1.0
_RETURNED_AT = "journeyhub.returned_at"


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(engine: sa.Engine) -> Any:
    """Checks a pooled connection before use only when it sat idle for a while.

    `pool_pre_ping` paid a round trip on every checkout: one of a tracking request's four.
    A connection handed back moments ago was alive then; the ones that die unseen are those
    left idle across a restart or a server-side timeout, and those are pinged here (HikariCP
    skips its check within 500 ms of last use for the same reason). A dead one invalidates
    every connection pooled before it, so one failed ping renews them all. What is left, a
    backend killed within the last second, fails its statement as a disconnection, which
    invalidates the pool too: the ingest path retries that commit on a new connection
    (hub/inbound/store.py), any other request fails once, as it would mid-statement.
    """

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.InvalidatePoolError(str(exc)) from exc

    return checkout


def _drop_async_teardown(app: Flask) -> None:
    """flask-sqlalchemy-lite registers a coroutine to close async sessions at every teardown;
    Flask runs it through asgiref, which starts a thread per request (a sixth of a tracking
    request's time in a profile). There are no async engines here, so it has nothing to close."""
    closer = getattr(flask_sqlalchemy_lite._extension, "_close_async_sessions", None)
    app.teardown_appcontext_funcs[:] = [f for f in app.teardown_appcontext_funcs if f is not closer]


def init_app(app: Flask, settings: Settings) -> None:
    app.config["SQLALCHEMY_ENGINES"] = {"default": engine_options(settings)}
    app.config.setdefault("SQLALCHEMY_SESSION_OPTIONS", {"expire_on_commit": False})
    db.init_app(app)
    _drop_async_teardown(app)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite's rule: no connection open across fork(). Its locks are the process's, so a child
        # that inherits one believes it holds locks it does not, for every connection it opens to
        # that file. The parent closes its idle ones first.
        os.register_at_fork(before=engine.dispose)
    else:
        sa.event.listen(engine, "checkin", _returned)
        sa.event.listen(engine, "checkout", _ping_if_idle(engine))
    # A forked RQ work-horse must not reuse the parent's pooled sockets.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
