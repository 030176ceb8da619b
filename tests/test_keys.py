"""One key for operators to keep, one key per purpose inside: Flask's session key is not the Fernet key."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from hub.app import create_app
from hub.secrets import derived_key


def test_the_session_key_is_derived_not_the_secrets_key(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = {"JOURNEYHUB_HOME": str(tmp_path), "JOURNEYHUB_SECRET_KEY": key}
    first, second = create_app(settings), create_app(settings)
    assert first.secret_key == second.secret_key, "sessions must survive a restart"
    assert first.secret_key not in (key, key.encode())
    assert isinstance(first.secret_key, bytes) and len(first.secret_key) == 32


def test_each_purpose_gets_its_own_key() -> None:
    key = Fernet.generate_key()
    assert derived_key(key, purpose="flask session") != derived_key(key, purpose="invite links")
    assert derived_key(key, purpose="flask session") != derived_key(
        Fernet.generate_key(), purpose="flask session"
    )
