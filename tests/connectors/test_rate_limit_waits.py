"""A rate-limited sync waits as long as the provider asked, in the provider's own dialect."""

from __future__ import annotations

import pytest
from flask import Flask

from hub.cohorts.service import create_cohort
from hub.cohorts.sync import run_sync
from hub.db import db
from tests.connectors.conftest import Sleeps, add_connection, start_fake

ASKED_S = 7


@pytest.mark.parametrize(
    ("name", "shortest", "longest"),
    [
        ("hubspot", ASKED_S, ASKED_S),  # Retry-After seconds
        ("intercom", ASKED_S - 1, ASKED_S),  # X-RateLimit-Reset as epoch seconds
        ("salesforce", 1, 2),  # 403 REQUEST_LIMIT_EXCEEDED says no time: backoff
    ],
)
def test_the_wait_is_what_the_provider_asked(
    app: Flask, sleeps: Sleeps, name: str, shortest: float, longest: float
) -> None:
    fake = start_fake(name, 5)
    try:
        connection_id = add_connection(app, name, fake)
        fake.inject_fault(429, retry_after=ASKED_S)
        with app.app_context():
            cohort = create_cohort(connection_id, str(fake.cohorts()[0]["source_ref"]), "Everyone")
            db.session.commit()
            outcome = run_sync(cohort.id)
    finally:
        fake.stop()
    assert outcome.status == "succeeded" and outcome.stats["rate_limited_waits"] == 1
    assert len(sleeps.waits) == 1 and shortest <= sleeps.waits[0] <= longest
