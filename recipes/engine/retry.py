"""One unit of the engine's work as one transaction, run again when a concurrent writer made it fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

T = TypeVar("T")
ATTEMPTS = 4


def retried(session: Session, work: Callable[[], T]) -> T:
    """Runs `work` and commits; a deadlock, a busy SQLite writer or a row a merge moved away rolls it
    back and runs it again. The engine's work reads everything it needs afresh, so it is safe to redo.

    On SQLite the write lock is taken first (BEGIN IMMEDIATE): pysqlite would otherwise read
    outside any transaction until the first write, and decide on what another batch is changing.
    """
    attempt = 1
    while True:
        try:
            _begin_writing(session)
            result = work()
            session.commit()
            return result
        except (IntegrityError, OperationalError):
            session.rollback()
            if attempt == ATTEMPTS:
                raise
            attempt += 1
        except Exception:
            session.rollback()
            raise


def _begin_writing(session: Session) -> None:
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and not getattr(raw, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
