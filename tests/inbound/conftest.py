"""Connections the inbound tests send to, created on the per-test app (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.inbound.support import Doors, add_connection


@pytest.fixture
def write_key(app: Flask) -> str:
    """The write key of a fresh `tracking` connection."""
    _, generated = add_connection(app, "tracking", "web")
    return str(generated["write_key"])


@pytest.fixture
def generic(app: Flask) -> tuple[int, str]:
    """A `generic` connection's id and its generated whsec_ secret."""
    connection_id, generated = add_connection(app, "generic", "signed")
    return connection_id, str(generated["secret"])


@pytest.fixture
def doors(app: Flask) -> Doors:
    """A connection behind every inbound door of the per-test app."""
    return Doors(app)
