"""`journeyhub fake` and `journeyhub sync` as a person runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from connectors.registry import get_connector
from hub.cli import main
from hub.cohorts.service import create_cohort
from hub.db import db
from hub.models import Run
from tests.conftest import close_app, make_app
from tests.connectors.conftest import SOURCES, add_connection, start_fake, wrong_credentials


@pytest.mark.parametrize("name", SOURCES)
def test_fake_prints_one_json_object_and_serves_until_interrupted(name: str, tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "fake", name, "--members", "7"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        described = json.loads(process.stdout.readline())
        assert set(described) == {"base_url", "credentials", "cohorts"}
        assert described["credentials"]["base_url"] == described["base_url"]
        assert described["cohorts"][0]["members"] == 7
        assert all(set(c) == {"source_ref", "name", "members"} for c in described["cohorts"])
        app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
        with app.app_context():
            check = get_connector(name).test_connection(described["credentials"])
        close_app(app)
        assert check.ok, check.message
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_fake_of_a_connector_without_one_is_an_error() -> None:
    result = CliRunner().invoke(main, ["fake", "tracking"])
    assert result.exit_code == 1 and "has no fake" in result.output


def test_sync_runs_one_cohort_now_and_prints_its_figures(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = app.config["JOURNEYHUB"]
    monkeypatch.setenv("JOURNEYHUB_HOME", str(settings.journeyhub_home))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("JOURNEYHUB_SECRET_KEY", settings.journeyhub_secret_key.get_secret_value())
    monkeypatch.setenv("JOURNEYHUB_ALLOWED_HOSTS", ",".join(settings.journeyhub_allowed_hosts))
    fake = start_fake("intercom", 9)
    good = add_connection(app, "intercom", fake)
    refused = add_connection(app, "intercom", fake, label="refused", **wrong_credentials("intercom", fake))
    ref = str(fake.cohorts()[0]["source_ref"])
    with app.app_context():
        cohorts = [create_cohort(good, ref, "Everyone").id, create_cohort(refused, ref, "Everyone").id]
        db.session.commit()
    try:
        runner = CliRunner()
        synced = runner.invoke(main, ["sync", str(cohorts[0])])
        assert synced.exit_code == 0, synced.output
        figures = json.loads(synced.output)
        assert (figures["status"], figures["entered"], figures["members"], figures["pages"]) == (
            "succeeded",
            9,
            9,
            1,
        )
        assert figures["cohort_id"] == cohorts[0] and figures["error"] is None
        with app.app_context():  # the in-process evaluation finished before the command returned
            evaluated = db.session.scalars(sa.select(Run.stats).where(Run.kind == "evaluate")).all()
        assert sum(len(stats["event_ids"]) for stats in evaluated) == 9

        failed = runner.invoke(main, ["sync", str(cohorts[1])])
        assert failed.exit_code == 1 and json.loads(failed.output)["status"] == "failed"
        assert "Access Token Invalid" in json.loads(failed.output)["error"]
        missing = runner.invoke(main, ["sync", "99999"])
        assert missing.exit_code == 1 and "no cohort 99999" in missing.output
    finally:
        fake.stop()
