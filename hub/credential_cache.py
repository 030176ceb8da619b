"""Which connection a write key belongs to, remembered for a few seconds per process.

Every tracking request names its connection by write key, and asking the database each
time cost a round trip per request (a tenth of the request in a profile). Entries are kept
by the key's hash, so a wrong key can never find another key's connection; only keys that
were found are kept, so a new connection works at once and unknown keys cannot fill the
memory. A change to any connection made through a Session of this process (an ORM flush or
a bulk UPDATE/DELETE) empties the caches when its transaction commits; a change made by
another process is seen after `TTL_S` at most. Each app has its own cache, so apps on two
databases in one process (tests) never see each other's connections.
"""

from __future__ import annotations

import threading
import time
import weakref
from itertools import chain

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, make_transient_to_detached

from hub.models import Connection

TTL_S = 5.0
MAX_ENTRIES = 1024
_CHANGED = "journeyhub.connections_changed"
_EXTENSION = "journeyhub.credentials"


class CredentialCache:
    def __init__(self, ttl: float = TTL_S, size: int = MAX_ENTRIES) -> None:
        self.ttl, self.size = ttl, size
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, Connection]] = {}
        self._generation = 0
        _ALL.add(self)

    @property
    def generation(self) -> int:
        """Read before a database lookup and handed to `put`, so a row read before a change
        committed is not remembered after the change emptied the cache."""
        return self._generation

    def get(self, connector: str, digest: str) -> Connection | None:
        """A detached copy of the connection, or None when unknown or older than the TTL."""
        with self._lock:
            entry = self._entries.get((connector, digest))
            if entry is None:
                return None
            if time.monotonic() - entry[0] > self.ttl:
                del self._entries[(connector, digest)]
                return None
            return entry[1]

    def put(self, connector: str, digest: str, connection: Connection, generation: int) -> None:
        if connection.connector != connector or connection.lookup_key != digest:
            return
        copy = Connection(**{attr.key: getattr(connection, attr.key) for attr in _COLUMNS})
        make_transient_to_detached(copy)
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
            self._entries[(connector, digest)] = (time.monotonic(), copy)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1


_ALL: weakref.WeakSet[CredentialCache] = weakref.WeakSet()
_COLUMNS = sa.inspect(Connection).column_attrs


def credential_cache(app: Flask) -> CredentialCache:
    cache: CredentialCache = app.extensions.setdefault(_EXTENSION, CredentialCache())
    return cache


def _clear_all() -> None:
    for cache in list(_ALL):
        cache.clear()


@sa.event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: UOWTransaction) -> None:
    if any(isinstance(o, Connection) for o in chain(session.dirty, session.deleted)):
        _changed(session)


@sa.event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) == Connection.__tablename__:
        _changed(state.session)


def _changed(session: Session) -> None:
    session.info[_CHANGED] = True
    _clear_all()  # now too, so this session's own lookups before the commit see the change


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _clear_all()


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)
