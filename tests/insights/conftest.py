"""The insights tests' world: see tests/insights/support.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from connectors.anthropic.fake import AnthropicFake
from tests.insights.support import World


@pytest.fixture
def world(app: Flask, api: FlaskClient) -> World:
    return World(app, api)


@pytest.fixture
def fake() -> Iterator[AnthropicFake]:
    """The Messages API fake, serving on loopback."""
    server = AnthropicFake().serve()
    yield server
    server.stop()
