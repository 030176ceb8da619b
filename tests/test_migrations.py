"""The schema only changes through migrations, and the migrations match the models."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import hub.models  # noqa: F401 - every table on Base.metadata
from hub.db import Base
from hub.migrate import heads, upgrade

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def modelled(name: str | None, kind: str, _parents: object) -> bool:
    """SQLite's FTS5 search table (migration 0015) and its shadow tables have no model: SQLAlchemy has no virtual tables."""
    return not (kind == "table" and name is not None and name.startswith("ask_fts"))


def test_single_head() -> None:
    assert len(heads()) == 1


def test_upgrade_from_empty_matches_models(empty_database_url: str) -> None:
    engine = sa.create_engine(empty_database_url)
    upgrade(engine)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": modelled}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert diff == []
    assert version == heads()[0]


def test_upgrade_twice_is_a_no_op(empty_database_url: str) -> None:
    engine = sa.create_engine(empty_database_url)
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    engine.dispose()


def test_revisions_import_no_app_code_and_files_say_what_they_do() -> None:
    files = sorted(VERSIONS.glob("[0-9]*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text())
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.split(".")[0] in {"hub", "connectors", "recipes", "admin"}}, path
        revision = next(
            n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            and getattr(n.targets[0], "id", "") == "revision"
            and isinstance(n.value, ast.Constant)
        )
        assert path.stem.startswith(f"{revision}_")
        assert len(path.stem.split("_")) >= 3, f"{path.name}: say what the migration does"
