"""Settings are validated once at start; a bad value names itself."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from hub.cli import main
from hub.config import SettingsError, load_settings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("JOURNEYHUB_SECRET_KEY", "too-short"),
        ("JOURNEYHUB_MAX_BODY_BYTES", "-1"),
        ("JOURNEYHUB_LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_value_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_bad_environment_stops_the_cli_with_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "ftp://nowhere")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


def test_defaults_to_sqlite_in_home(tmp_path: Path) -> None:
    settings = load_settings({"JOURNEYHUB_HOME": str(tmp_path / "h")})
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'h' / 'journeyhub.db'}"
    assert settings.redis_url is None


def test_secret_key_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = load_settings({"JOURNEYHUB_HOME": str(tmp_path)})
    first = settings.fernet_key()
    path = tmp_path / "secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert settings.fernet_key() == first
    Fernet(first)


def test_configured_secret_key_wins_and_writes_nothing(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = load_settings({"JOURNEYHUB_HOME": str(tmp_path), "JOURNEYHUB_SECRET_KEY": key})
    assert settings.fernet_key() == key.encode()
    assert not (tmp_path / "secret.key").exists()


def test_dotenv_in_working_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "REDIS_URL=redis://127.0.0.1:1/0\nJOURNEYHUB_ALLOWED_HOSTS=a.test, B.test\n"
    )
    settings = load_settings()
    assert settings.redis_url == "redis://127.0.0.1:1/0"
    assert settings.journeyhub_allowed_hosts == ["a.test", "b.test"]
