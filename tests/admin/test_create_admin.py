"""`journeyhub create-admin`: a login is stored hashed; mistakes are one line, exit 1, no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import sqlalchemy as sa

from tests.test_cli import JOURNEYHUB, env_for


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JOURNEYHUB, "create-admin", *args],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_creates_an_admin_whose_password_is_stored_as_a_scrypt_hash(tmp_path: Path) -> None:
    done = run(tmp_path, "--email", "Ada@Example.com", "--password", "correct horse")
    assert done.returncode == 0, done.stderr
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'home' / 'journeyhub.db'}")
    with engine.connect() as conn:
        email, hashed = conn.execute(sa.text("SELECT email, password_hash FROM admin_users")).one()
    engine.dispose()
    assert email == "ada@example.com"
    assert hashed.startswith("scrypt:") and "correct horse" not in hashed


def test_mistakes_are_one_error_line_and_exit_1(tmp_path: Path) -> None:
    assert run(tmp_path, "--email", "ada@example.com", "--password", "correct horse").returncode == 0
    for args, words in (
        (("--email", "ada@example.com", "--password", "another long one"), "exists already"),
        (("--email", "not-an-email", "--password", "correct horse"), "is not an email address"),
        (("--email", "bob@example.com", "--password", "short"), "at least 10 characters"),
    ):
        done = run(tmp_path, *args)
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], done.stderr
        assert "Traceback" not in done.stderr and "short" not in done.stderr
