"""What a connector declares about itself, as data checked by pydantic.

The admin UI, `journeyhub connection add` and the API are all driven by these declarations,
so a new system is described once, in its own folder. Settings are typed and checked when a
connection is saved: a page size of "abc" or a missing token is a 400 naming the field then,
not a failed sync an hour later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from connectors.sdk.actions import Destination
from connectors.sdk.channels import Channel
from connectors.sdk.events import TrackingReceiver, WebhookReceiver
from connectors.sdk.identity import IdentityKind
from connectors.sdk.sources import CohortSource
from hub.outbound import HttpError

if TYPE_CHECKING:
    from connectors.sdk.fakes.server import FakeServer


class Capability(StrEnum):
    TRACKING = "tracking"
    WEBHOOK = "webhook"
    SOURCE = "source"
    DESTINATION = "destination"
    ACTIONS = "actions"


class FieldType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    URL = "url"


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ConfigField(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FieldType = FieldType.TEXT
    secret: bool = False
    required: bool = False
    default: str | int | bool | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    """For text: the only values allowed, matched without regard to case and kept as declared."""
    help: str = ""

    def coerce(self, value: Any) -> Any:
        """The value as its type; ValueError in words a person can act on.

        Values arrive as text from `--set` and as JSON from the API, so "250" and 250 are one.
        """
        if self.type is FieldType.INTEGER:
            return self._integer(value)
        if self.type is FieldType.BOOLEAN:
            return self._boolean(value)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("must be text")
        text = str(value).strip()
        if self.choices:
            return self._choice(text)
        if self.type is FieldType.URL:
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be an http:// or https:// address")
        return text

    def _integer(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        try:
            number = int(str(value).strip()) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            raise ValueError("must be a whole number") from None
        if isinstance(value, float) and value != number:
            raise ValueError("must be a whole number")
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"must be at least {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"must be at most {self.maximum}")
        return number

    def _choice(self, text: str) -> str:
        for choice in self.choices:
            if choice.lower() == text.lower():
                return choice
        raise ValueError(f"must be one of {', '.join(self.choices)}")

    @staticmethod
    def _boolean(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError("must be true or false")

    def describe(self) -> str:
        """One line for `connection add CONNECTOR --help`."""
        marks = [" | ".join(self.choices) if self.choices else self.type.value]
        if self.required:
            marks.append("required")
        if self.secret:
            marks.append("secret")
        if self.default not in (None, ""):
            marks.append(f"default {self.default}")
        text = f"{self.name} ({', '.join(marks)}): {self.label}"
        return f"{text}; {self.help}" if self.help else text


class ConnectorSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    fields: tuple[ConfigField, ...] = ()
    capabilities: frozenset[Capability] = frozenset()
    identity_kinds: tuple[IdentityKind, ...] = ()
    """Kinds of id this connector's people carry besides the hub's own (email, user_id, anonymous_id)."""
    lookup_field: str | None = None
    """A generated credential that identifies the connection on inbound requests (write key)."""

    @property
    def secret_fields(self) -> set[str]:
        return {f.name for f in self.fields if f.secret}

    def typed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Stored settings read back as their declared types; what does not convert stays as it was.

        Settings saved before a field was typed are text; reading them must not fail.
        """
        known = {f.name: f for f in self.fields}
        typed: dict[str, Any] = {}
        for name, value in values.items():
            try:
                typed[name] = known[name].coerce(value) if name in known and value is not None else value
            except ValueError:
                typed[name] = value
        return typed


class ConfigProblem(ValueError):
    """Settings that do not fit the connector's declaration; `problems` names each field."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


class CheckResult(BaseModel):
    ok: bool
    message: str = ""


def check(probe: Callable[[], str]) -> CheckResult:
    """Runs a connector's cheapest authenticated call; the provider's refusal becomes the message."""
    try:
        return CheckResult(ok=True, message=probe())
    except HttpError as exc:
        return CheckResult(ok=False, message=exc.provider_message or str(exc))


class Connector:
    """Base for every connector; subclasses set `spec` and override what they can do."""

    spec: ClassVar[ConnectorSpec]
    webhook: ClassVar[WebhookReceiver | None] = None
    source: ClassVar[CohortSource | None] = None
    tracking: ClassVar[TrackingReceiver | None] = None
    channel: ClassVar[Channel | None] = None
    """Set by connectors that deliver invites (email, Intercom, webhook); declares Capability.DESTINATION."""
    actions: ClassVar[Destination | None] = None
    """Set by connectors that result actions write to (Jira, Slack, CRM fields); declares Capability.ACTIONS."""

    def prepare_config(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validated, typed settings with defaults applied; unknown, malformed and missing fields are reported."""
        known = {f.name: f for f in self.spec.fields}
        problems = {k: "unknown setting" for k in values if k not in known}
        config: dict[str, Any] = {}
        for name, declared in known.items():
            value = values.get(name)
            if value is None or value == "":
                value = declared.default
            if value is None or value == "":
                if declared.required:
                    problems[name] = "required"
                continue
            try:
                config[name] = declared.coerce(value)
            except ValueError as exc:
                problems[name] = str(exc)
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

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer | None:
        """This system's local imitation, serving; None for connectors that call nothing outside."""
        return None
