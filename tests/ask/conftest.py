"""The ask tests' world: one interviews connection, a campaign and a recipe (tests/insights/support.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.insights.support import World


@pytest.fixture
def world(app: Flask, api: FlaskClient) -> World:
    return World(app, api)
