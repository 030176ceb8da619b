"""Email: invites sent over SMTP (STARTTLS, implicit TLS or plain), with a local aiosmtpd fake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from connectors.email import smtp
from connectors.email.channel import EmailChannel
from connectors.email.compose import valid_address
from connectors.sdk import (
    Capability,
    CheckResult,
    ConfigField,
    ConfigProblem,
    Connector,
    ConnectorSpec,
    FieldType,
    HttpError,
)

if TYPE_CHECKING:
    from connectors.email.fake import EmailFake

SECURITY = ("starttls", "tls", "none")


class EmailConnector(Connector):
    spec = ConnectorSpec(
        name="email",
        title="Email (SMTP)",
        fields=(
            ConfigField(name="host", label="SMTP server", required=True),
            ConfigField(
                name="port",
                label="SMTP port",
                type=FieldType.INTEGER,
                default=smtp.DEFAULT_PORT,
                minimum=1,
                maximum=65535,
            ),
            ConfigField(
                name="security",
                label="Encryption",
                choices=SECURITY,
                default="starttls",
                help="starttls upgrades a plain connection (port 587), tls encrypts from the start (465)",
            ),
            ConfigField(
                name="username",
                label="SMTP user name",
                help="leave empty when the server takes mail without login",
            ),
            ConfigField(name="password", label="SMTP password", secret=True),
            ConfigField(name="from_address", label="From address", required=True),
            ConfigField(name="from_name", label="From name"),
            ConfigField(
                name="ca_bundle",
                label="CA bundle path",
                help="only for a server behind a private certificate authority",
            ),
            ConfigField(
                name="timeout_s",
                label="Seconds to wait for the server",
                type=FieldType.INTEGER,
                default=smtp.DEFAULT_TIMEOUT_S,
                minimum=1,
                maximum=300,
            ),
        ),
        capabilities=frozenset({Capability.DESTINATION}),
    )
    channel = EmailChannel()

    def prepare_config(self, values: Mapping[str, Any]) -> dict[str, Any]:
        config = super().prepare_config(values)
        if not valid_address(str(config["from_address"])):
            raise ConfigProblem({"from_address": "must be an email address such as research@example.com"})
        if config.get("password") and not config.get("username"):
            raise ConfigProblem({"username": "required when a password is set"})
        return config

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        """Connect, greet, encrypt and log in as a delivery would; nothing is sent."""
        try:
            with smtp.session(config):
                steps = [f"connected to {config['host']}:{config.get('port') or smtp.DEFAULT_PORT}"]
        except HttpError as exc:
            return CheckResult(ok=False, message=str(exc))
        if config.get("security", "starttls") != "none":
            steps.append(f"encrypted ({config.get('security') or 'starttls'})")
        if config.get("username"):
            steps.append(f"logged in as {config['username']}")
        return CheckResult(ok=True, message="; ".join(steps))

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> EmailFake:
        """An SMTP server on `port`; imported here so the app never loads aiosmtpd to send mail."""
        from connectors.email.fake import start

        return start(port=port, seed=seed)


CONNECTOR = EmailConnector()
