"""What every destination test needs: an app whose allow-list admits loopback, and rendered actions.

Destinations are handed only a config and actions; the app context supplies the outbound
policy (allowed hosts) the way the outbox's `action` handler does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.sdk.actions import Action, Operation, Respondent
from tests.conftest import close_app, make_app


@pytest.fixture
def outbound_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    with app.app_context():
        yield app
    close_app(app)


RESULT = {
    "result_id": 7,
    "themes": [{"label": "pricing", "confidence": 0.9}, {"label": "onboarding", "confidence": 0.6}],
    "sentiment": {"label": "negative", "score": -0.4},
    "quality": 4,
    "completed_at": "2026-11-20T10:30:00+00:00",
}


def action(
    key: str,
    *,
    operation: Operation = "update_fields",
    email: str | None = None,
    identities: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Action:
    """An `on: result` action as recipes/actions renders it."""
    return Action(
        key=key,
        operation=operation,
        fields=dict(fields or {}),
        title="Interview result",
        text="themes: pricing, onboarding",
        link="https://hub.example/results/7",
        respondent=Respondent(profile_id=1, email=email, identities=dict(identities or {})),
        context={"result": dict(context or RESULT)},
    )
