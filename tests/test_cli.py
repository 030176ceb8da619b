"""The `journeyhub` command as a user runs it: real processes where it serves or works.

Every failure is one `Error:` line on stderr and exit code 1, with no traceback and no secret.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from rq.job import Job

from connectors.registry import all_connectors, get_connector
from hub.cli import main
from tests.conftest import close_app, make_app
from tests.servers import Redis, free_port

JOURNEYHUB = [sys.executable, "-m", "hub.cli"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    return {**env, "JOURNEYHUB_HOME": str(tmp_path / "home"), **extra}


@pytest.fixture
def jh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> str:
    """`journeyhub` on each kind of database, with a key of its own; answers that key."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("JOURNEYHUB_SECRET_KEY", key)
    return key


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_error(result: Result, message: str) -> None:
    """Exit code 1 and exactly one line on stderr, `Error: ` followed by `message` (a prefix of it)."""
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_token_create_prints_the_token_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_db_upgrade_then_connection_add_unknown_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    assert run("db", "upgrade").exit_code == 0
    known = ", ".join(all_connectors())
    assert_error(
        run("connection", "add", "no-such-system", "--name", "x"),
        f"unknown connector 'no-such-system' (known: {known})",
    )
    assert_error(
        run("connection", "add", "tracking", "--name", "x", "--set", "novalue"), "--set expects key=value"
    )


def test_connection_add_checks_types_and_required_settings(jh: str) -> None:
    token = "--set", "access_token=pat-secret-1234"
    assert_error(
        run("connection", "add", "hubspot", "--name", "crm", *token, "--set", "page_size=abc"),
        "page_size: must be a whole number\n",
    )
    assert_error(run("connection", "add", "hubspot", "--name", "crm"), "access_token: required\n")
    assert_error(
        run("connection", "add", "hubspot", "--name", "crm", *token, "--set", "colour=blue"),
        "colour: unknown setting\n",
    )
    assert_error(
        run("connection", "add", "hubspot", *token),
        "Missing option '--name'. (see 'main connection add hubspot",
    )
    assert run("connection", "list").stdout.splitlines()[1:] == [], "a refused connection was stored"


def test_a_duplicate_name_is_one_line_without_the_encrypted_settings(jh: str) -> None:
    args = ("connection", "add", "hubspot", "--name", "crm", "--set", "access_token=pat-secret-1234")
    assert run(*args).exit_code == 0
    again = run(*args)
    assert_error(again, "a hubspot connection named 'crm' already exists")
    assert "gAAAA" not in again.output and "pat-secret-1234" not in again.output  # Fernet tokens start gAAAA
    assert "IntegrityError" not in again.output and "INSERT" not in again.output


def test_connection_list_shows_each_connection_and_no_secret(jh: str) -> None:
    hubspot = json.loads(
        run("connection", "add", "hubspot", "--name", "crm", "--set", "access_token=pat-1234").stdout
    )
    tracking = json.loads(run("connection", "add", "tracking", "--name", "web site").stdout)
    listed = run("connection", "list")
    assert listed.exit_code == 0, listed.output
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows == [
        ["ID", "CONNECTOR", "NAME", "STATUS"],
        [str(hubspot["id"]), "hubspot", "crm", "ok"],
        [str(tracking["id"]), "tracking", "web", "site", "ok"],
    ]
    assert "pat-1234" not in listed.output and tracking["write_key"] not in listed.output


def test_connection_add_help_lists_each_connectors_settings() -> None:
    overview = run("connection", "add", "--help")
    assert overview.exit_code == 0
    for name, connector in all_connectors().items():
        assert f"  {name}  " in overview.stdout and connector.spec.title in overview.stdout
    assert "connection add CONNECTOR --help" in " ".join(overview.stdout.split())
    for name in ("hubspot", "tracking"):
        helped = run("connection", "add", name, "--help")
        assert helped.exit_code == 0
        text = " ".join(helped.stdout.split())
        for field in get_connector(name).spec.fields:
            assert " ".join(field.describe().split()) in text
    assert "access_token (text, required, secret)" in run("connection", "add", "hubspot", "--help").stdout


def test_a_key_that_cannot_read_the_stored_connections_is_refused(
    jh: str, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    added = run("connection", "add", "hubspot", "--name", "crm", "--set", "access_token=pat-secret-1234")
    assert added.exit_code == 0, added.output
    other = Fernet.generate_key().decode()
    monkeypatch.setenv("JOURNEYHUB_SECRET_KEY", other)
    for args in (["connection", "list"], ["token", "create", "--name", "x"], ["sync", "1"], ["serve"]):
        refused = run(*args)
        assert_error(refused, "JOURNEYHUB_SECRET_KEY does not match the key the stored connections")
        assert other not in refused.output and jh not in refused.output
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:  # refused before writing anything
        assert conn.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar() == 0
    engine.dispose()


def test_a_generated_key_that_cannot_read_them_names_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    assert run("connection", "add", "tracking", "--name", "web").exit_code == 0
    (tmp_path / "home" / "secret.key").unlink()  # the next command generates a new, different key
    assert_error(
        run("connection", "list"),
        f"JOURNEYHUB_SECRET_KEY is unset and the key in {tmp_path / 'home' / 'secret.key'} does not match",
    )


def test_unknown_ids_are_one_line(jh: str) -> None:
    assert_error(run("sync", "999"), "no cohort 999\n")
    assert_error(run("sync", "abc"), "Invalid value for 'COHORT_ID'")
    assert_error(run("no-such-command"), "No such command 'no-such-command'.")


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql+psycopg://journeyhub:pw-s3cret-77@127.0.0.1:{port}/hub"
    result = subprocess.run(
        [*JOURNEYHUB, "token", "create", "--name", "x"],
        env=env_for(tmp_path, DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"Error: cannot use the database postgresql+psycopg://journeyhub:***@127.0.0.1:{port}/hub: "
    ), result.stderr
    assert "Connection refused" in result.stderr
    assert result.stderr.count("\n") == 1 and "pw-s3cret-77" not in result.stderr


def test_serve_on_a_port_in_use_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_error(run("serve", "--port", str(port)), f"cannot listen on 127.0.0.1:{port}: ")


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


def test_worker_without_redis_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYHUB_HOME", str(tmp_path / "home"))
    assert_error(run("worker"), "journeyhub worker needs REDIS_URL")
    assert not (tmp_path / "home" / "journeyhub.db").exists(), "it opened the database to say so"
