"""Schemathesis over /api/v1/openapi.json, every built-in check, on SQLite and PostgreSQL.

The schema is read once, at collection, from an app of its own; each test then sends its
requests through a WSGI stand-in to the app of that test (its own database), so one
parametrised test covers both databases. Generation is derandomised and bounded so CI sees
the same cases every run.

One check is refined, not dropped: `positive_data_acceptance` lets through a 400 whose code
names something only the server can know (a cursor it never issued, a connection, campaign or
cohort id with no row, a connection that is not a source or not of the campaign's channel, a
template that does not compile or names an unknown variable, an insights conversation with no row, a journey's stage naming a recipe
with no row or an intended rate on its first stage, which has no stage before it) or a connector's own rule for a
setting beyond its declared type (a `whsec_` secret); the types, ranges and names of settings
the document does state are tested in test_settings.py. `not_a_server_error` lets through the 502/503 of the
provider-facing listing, which reports the provider's failure in the error shape.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hub.outbound.scope import CONFIG_KEY
from tests.conftest import close_app, make_app

SERVER_KNOWS = {
    "invalid_cursor",
    "unknown_connection",
    "not_a_source",
    "invalid_settings",
    "unknown_campaign",
    "unknown_cohort",
    "wrong_connection",
    "invalid_template",
    "unknown_recipe",
    "invalid_journey",
    "unknown_conversation",
}
"""400 codes for input that is well formed but that only the server (or a connector) can judge."""
PROVIDER_FAILURES = {"provider_unavailable", "provider_rate_limited", "provider_error"}


class CurrentApp:
    """A WSGI app that forwards to the app of the running test."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


CURRENT = CurrentApp()


def _schema() -> Any:
    home = Path(tempfile.mkdtemp())
    CURRENT.app = make_app(home, f"sqlite:///{home / 'unused.db'}")
    try:
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", CURRENT)
    finally:
        close_app(CURRENT.app)
        CURRENT.app = None


schema = _schema()


def _error_code(response: Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def acceptance_of_what_the_schema_can_say(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    if response.status_code == 400 and _error_code(response) in SERVER_KNOWS:
        return None
    return positive_data_acceptance(ctx, response, case)


@pytest.fixture
def served(app: Flask) -> Iterator[Flask]:
    """This test's app behind the schema, with provider retries that do not sleep."""
    app.config[CONFIG_KEY] = {"sleep": lambda _seconds: None, "max_attempts": 2}
    CURRENT.app = app
    yield app
    CURRENT.app = None


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_document(case: Case, served: Flask, api_token: str) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    response = case.call(headers=headers)
    excluded = [positive_data_acceptance]
    if response.status_code in (502, 503) and _error_code(response) in PROVIDER_FAILURES:
        assert case.operation.path == "/api/v1/connections/{connection_id}/cohorts"
        excluded.append(not_a_server_error)
    case.validate_response(
        response,
        headers=headers,
        excluded_checks=excluded,
        additional_checks=[acceptance_of_what_the_schema_can_say],
    )
