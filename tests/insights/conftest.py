"""The insights tests' world: see tests/insights/support.py."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.insights.support import World


@pytest.fixture
def world(app: Flask, api: FlaskClient) -> World:
    return World(app, api)
