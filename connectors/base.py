"""What a connector declares about itself, as data checked by pydantic.

The admin UI, `journeyhub connection add` and the API are all driven by these declarations,
so a new system is described once, in its own folder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

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
    lookup_field: str | None = None
    """A generated credential that identifies the connection on inbound requests (write key)."""

    @property
    def secret_fields(self) -> set[str]:
        return {f.name for f in self.fields if f.secret}


class ConfigProblem(ValueError):
    """Settings that do not fit the connector's declaration; `problems` names each field."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


@dataclass(frozen=True)
class InboundRequest:
    """A webhook delivery as received, before anything trusts it."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime


class SignatureError(Exception):
    """Missing, wrong or stale signature: answered 401, nothing stored."""


class PayloadError(ValueError):
    """A body that cannot be used: answered 400 naming the field, nothing stored."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Rejected:
    """One item of a batch that was not stored, and why."""

    index: int
    field: str | None
    message: str


@dataclass
class Parsed:
    """What a delivery holds: the usable events (hub.ingest.JourneyEvent) and the rejected items."""

    events: list[Any] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    ignored: list[Rejected] = field(default_factory=list)
    """Well-formed items that are not about a person (a HubSpot deal change): answered 200."""
    warnings: list[Rejected] = field(default_factory=list)
    """Accepted items with something worth telling the sender, such as an unknown field."""


class WebhookReceiver(Protocol):
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        """Raises SignatureError unless the request is authentic and fresh."""

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        """Raises PayloadError when the whole body is unusable."""


@dataclass(frozen=True)
class Member:
    """One member of a cohort as its system describes them."""

    ref: str
    identities: Mapping[str, Any]
    traits: Mapping[str, Any]


@dataclass(frozen=True)
class CohortInfo:
    source_ref: str
    name: str
    size: int | None = None


class CohortSource(Protocol):
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        """The lists / campaigns / segments a user can pick from."""

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        """Page by page, never the whole cohort in memory."""


class CheckResult(BaseModel):
    ok: bool
    message: str = ""


class Connector:
    """Base for every connector; subclasses set `spec` and override what they can do."""

    spec: ClassVar[ConnectorSpec]
    webhook: ClassVar[WebhookReceiver | None] = None
    source: ClassVar[CohortSource | None] = None

    def prepare_config(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validated settings with defaults applied; unknown and missing fields are reported."""
        known = {f.name: f for f in self.spec.fields}
        problems = {k: "unknown setting" for k in values if k not in known}
        config: dict[str, Any] = {}
        for name, declared in known.items():
            value = values.get(name, declared.default)
            if value in (None, "") and declared.required:
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
