"""The `journeyhub` command as a user runs it: real processes where it serves or works."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from click.testing import CliRunner
from rq.job import Job

from hub.cli import main
from tests.conftest import close_app, make_app
from tests.servers import Redis, free_port

JOURNEYHUB = [sys.executable, "-m", "hub.cli"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    return {**env, "JOURNEYHUB_HOME": str(tmp_path / "home"), **extra}


def test_token_create_prints_the_token_alone(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(main, ["token", "create", "--name", "ci"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("jh_") and " " not in lines[0]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'home' / 'journeyhub.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM api_tokens")).scalars().all() == ["ci"]
    engine.dispose()


def test_db_upgrade_then_connection_add_unknown_connector(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(main, ["connection", "add", "no-such-system", "--name", "x"])
    assert result.exit_code == 1
    assert "unknown connector 'no-such-system'" in result.output
    bad_pair = runner.invoke(main, ["connection", "add", "no-such-system", "--name", "x", "--set", "novalue"])
    assert bad_pair.exit_code == 2
    assert "key=value" in bad_pair.output


def test_serve_applies_migrations_and_answers(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*JOURNEYHUB, "serve", "--port", str(port)],
        env=env_for(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert response.json() == {"status": "ok"}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in output


def test_worker_runs_jobs_from_redis_in_its_own_process(
    tmp_path: Path, database_url: str, redis_server: Redis
) -> None:
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    app = make_app(tmp_path, database_url, REDIS_URL=redis_server.url)
    settings = app.config["JOURNEYHUB"]
    env = env_for(
        tmp_path,
        DATABASE_URL=database_url,
        REDIS_URL=redis_server.url,
        JOURNEYHUB_SECRET_KEY=settings.journeyhub_secret_key.get_secret_value(),
    )
    from hub.runtime import jobs

    with app.app_context():
        job_id = jobs.enqueue("tests.job_samples.record_run", "from-worker")
    worker = subprocess.Popen([*JOURNEYHUB, "worker"], env=env, cwd=Path(__file__).parent.parent)
    backend = app.extensions["journeyhub.jobs"]
    try:
        deadline = time.monotonic() + 60
        while Job.fetch(job_id, connection=backend.redis).get_status() != "finished":
            assert worker.poll() is None and time.monotonic() < deadline, "worker did not finish the job"
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    with app.app_context():
        from hub.db import db

        subjects = db.session.execute(sa.text("SELECT subject FROM runs WHERE kind = 'test'")).scalars().all()
    close_app(app)
    assert subjects == ["from-worker"]


def test_worker_without_redis_says_why(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code == 1
    assert "needs REDIS_URL" in result.output
