"""The journeys tests' world: see tests/journeys/support.py."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.journeys.support import World


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)
