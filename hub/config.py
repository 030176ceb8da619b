"""Settings read once from the environment (and `.env`), validated before anything starts.

A bad value stops the start with a message naming the variable, instead of failing later
in the middle of a request or a job.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from cryptography.fernet import Fernet
from flask import current_app
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

KEY_FILE = "secret.key"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseSettings):
    """Field names are the environment variable names of CONTRACT.md, lower-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    journeyhub_home: Path = Path("instance")
    database_url: str | None = None
    redis_url: str | None = None
    journeyhub_secret_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    journeyhub_max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    journeyhub_webhook_tolerance_s: int = Field(default=300, gt=0)
    journeyhub_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    journeyhub_log_level: str = "INFO"
    journeyhub_threads: int = Field(default=8, gt=0)
    """Request threads of `journeyhub serve` (waitress); jobs have their own threads."""
    journeyhub_public_url: str = "http://127.0.0.1:5000"
    """Where people reach this hub: invite and unsubscribe links start with it."""
    journeyhub_outbox_lease_s: int = Field(default=300, ge=1, le=86_400)
    """How long a worker holds a claimed outbox row before another may take it over."""
    anthropic_base_url: str | None = None
    """Where the `anthropic` SDK sends its calls (the local fake in tests and the demo)."""
    journeyhub_synthesis_model: str = Field(default="claude-sonnet-4-6", min_length=1, max_length=100)
    journeyhub_synthesis_retries: int = Field(default=2, ge=0, le=10)
    journeyhub_synthesis_monthly_limit_usd: float = Field(default=50.0, ge=0, allow_inf_nan=False)
    journeyhub_quality_threshold: int = Field(default=3, ge=1, le=5)
    journeyhub_finding_share: float = Field(default=0.25, gt=0, le=1)
    journeyhub_finding_min_interviews: int = Field(default=5, ge=1)
    journeyhub_finding_change: float = Field(default=0.1, gt=0, le=1)
    """How far a finding's share must move (0-1) to record a finding-changed event."""

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value:
            try:
                make_url(value)
            except ArgumentError as exc:
                raise ValueError(f"not a SQLAlchemy URL ({exc})") from None
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("journeyhub_secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            try:
                Fernet(value.get_secret_value().encode())
            except ValueError:
                raise ValueError("must be a Fernet key (32 url-safe base64-encoded bytes)") from None
            return value
        return None

    @field_validator("journeyhub_allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [h.strip().lower() for h in value.split(",") if h.strip()]
        return value

    @field_validator("journeyhub_public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("must be an http:// or https:// address without query or fragment")
        return value.rstrip("/")

    @field_validator("journeyhub_log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @property
    def home(self) -> Path:
        return self.journeyhub_home.resolve()

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'journeyhub.db'}"

    def fernet_key(self) -> bytes:
        """The configured key, or the one generated once into the home folder (mode 0600)."""
        if self.journeyhub_secret_key is not None:
            return self.journeyhub_secret_key.get_secret_value().encode()
        path = self.home / KEY_FILE
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes().strip()
            try:
                Fernet(key)
            except ValueError:
                raise SettingsError(f"{path} does not hold a Fernet key") from None
            return key
        key = Fernet.generate_key()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Environment, then `.env`, then `overrides` (keys are the variable names, any case)."""
    values = {k.lower(): v for k, v in (overrides or {}).items()}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{str(err['loc'][0]).upper()}: {err['msg']}" if err["loc"] else err["msg"]
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


def current_settings() -> Settings:
    """The settings of the app handling this request or job."""
    settings: Settings = current_app.config["JOURNEYHUB"]
    return settings
