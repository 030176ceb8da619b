"""Connection settings encrypted at rest with Fernet; decrypted only at the moment of use."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

MASK = "********"


class SecretsError(Exception):
    """The stored settings cannot be read with this key (wrong JOURNEYHUB_SECRET_KEY?)."""


class Vault:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "<Vault>"

    def seal(self, values: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretsError("connection settings cannot be decrypted with the configured key") from None
        return data


def derived_key(key: bytes, *, purpose: str) -> bytes:
    """A key for another purpose (signing sessions, links), derived so that knowing it reveals nothing of `key`.

    One key to keep and rotate for operators; one key per purpose inside, so a leaked
    session key cannot decrypt the connection secrets.
    """
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(key)


def init_app(app: Flask, key: bytes) -> None:
    app.extensions["journeyhub.vault"] = Vault(key)


def vault() -> Vault:
    return current_app.extensions["journeyhub.vault"]  # type: ignore[no-any-return]


def masked(values: dict[str, Any], secret_fields: set[str]) -> dict[str, Any]:
    """What may be shown: every secret field that has a value reads as MASK."""
    return {k: (MASK if k in secret_fields and v not in (None, "") else v) for k, v in values.items()}
