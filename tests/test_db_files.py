"""The SQLite files hold people's emails and traits: only their owner may read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.db import db
from tests.conftest import close_app, make_app


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_and_its_wal_files_are_created_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask, under which SQLite alone would make them 0644
    try:
        target = tmp_path / "home" / "journeyhub.db"
        app = make_app(tmp_path, f"sqlite:///{target}")
        with app.app_context():
            db.session.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            db.session.execute(sa.text("INSERT INTO t VALUES (1)"))
            db.session.commit()
            files = [target, target.with_name("journeyhub.db-wal"), target.with_name("journeyhub.db-shm")]
            assert all(f.exists() for f in files), "WAL mode keeps -wal and -shm while connected"
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        close_app(app)
    finally:
        os.umask(previous)


def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "kept.db"
    target.touch(mode=0o640)
    os.chmod(target, 0o640)
    app = make_app(tmp_path, f"sqlite:///{target}")
    close_app(app)
    assert mode(target) == 0o640


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_databases_create_no_file(tmp_path: Path, url: str) -> None:
    app = make_app(tmp_path, url)
    close_app(app)
    assert not (tmp_path / ":memory:").exists()
