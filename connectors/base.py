"""What a connector declares about itself, as data checked by pydantic.

The admin UI, `journeyhub connection add` and the API are all driven by these declarations,
so a new system is described once, in its own folder.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Capability(StrEnum):
    TRACKING = "tracking"
    WEBHOOK = "webhook"
    SOURCE = "source"
    DESTINATION = "destination"


class ConfigField(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    secret: bool = False
    required: bool = False
    default: str | int | bool | None = None
    help: str = ""


class ConnectorSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    fields: tuple[ConfigField, ...] = ()
    capabilities: frozenset[Capability] = frozenset()

    @property
    def secret_fields(self) -> set[str]:
        return {f.name for f in self.fields if f.secret}


class ConfigProblem(ValueError):
    """Settings that do not fit the connector's declaration; `problems` names each field."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


class CheckResult(BaseModel):
    ok: bool
    message: str = ""


class Connector:
    """Base for every connector; subclasses set `spec` and override what they can do."""

    spec: ClassVar[ConnectorSpec]

    def prepare_config(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validated settings with defaults applied; unknown and missing fields are reported."""
        known = {f.name: f for f in self.spec.fields}
        problems = {k: "unknown setting" for k in values if k not in known}
        config: dict[str, Any] = {}
        for name, field in known.items():
            value = values.get(name, field.default)
            if value in (None, "") and field.required:
                problems[name] = "required"
            elif value is not None:
                config[name] = value
        if problems:
            raise ConfigProblem(problems)
        return config

    def generate_settings(self, config: dict[str, Any]) -> dict[str, Any]:
        """Settings the connector makes itself when absent (webhook secrets, write keys).

        They are shown once, at creation, and stored encrypted like the rest.
        """
        return {}

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        return CheckResult(ok=True, message="nothing to check for this connector")
