"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and shows it over HTTP.

Tests and the demo point an email connection at it and read back, over
``GET /_fake/messages``, each message as received: envelope, headers, text and HTML parts.
Like a real relay it asks for a login (535 on a wrong one), can speak STARTTLS or implicit
TLS with a throwaway CA, and can be told to refuse some recipients, permanently (550) or
for now (451), so every failure path of the email channel can be driven for real.
The HTTP side is the shared fake-server machinery, so ``GET /_fake/requests`` works too.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import logging
import tempfile
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import ApiError, as_int, json_response, read_json
from connectors.sdk.fakes.population import utcnow
from connectors.sdk.fakes.server import LOG_SIZE, FakeServer, NoCohorts
from connectors.sdk.fakes.tls import issue_certificates

MESSAGES_PATH = "/_fake/messages"
FROM_ADDRESS = "research@journeyhub.test"
REPLIES = {
    450: "4.2.1 Mailbox busy, try again later",
    451: "4.7.1 Greylisted, try again later",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 Mailbox unavailable",
    551: "5.1.6 User not local",
    552: "5.2.2 Mailbox full",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.7.1 Delivery not authorized",
}


logging.getLogger("mail.log").setLevel(logging.CRITICAL)
"""aiosmtpd logs every refused login and failed handshake, which the tests cause on purpose."""


class _Controller(Controller):
    """aiosmtpd's controller, able to listen on a free port (0) and tell which one it got."""

    def factory(self) -> SMTP:
        with warnings.catch_warnings():  # "AUTH without TLS": on loopback, on purpose
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        if isinstance(self.server, asyncio.Server) and self.server.sockets:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it unannotated


class EmailFake(NoCohorts, FakeServer):
    def __init__(
        self,
        *,
        smtp_port: int = 0,
        security: str = "none",
        username: str = "journeyhub",
        password: str | None = None,
        seed: int = 1,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError("security must be none, starttls or tls")
        super().__init__(port=0, members=0, seed=seed)
        self.token = ""
        self.security, self.username = security, username
        self.password = password or f"smtp-{seed:04d}-fake-password"
        self.smtp_ca_path: Path | None = None
        self.received_total = 0
        self._smtp_port = smtp_port
        self._messages: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self._rejections: dict[str, list[Any]] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._controller: _Controller | None = None
        self._certs: tempfile.TemporaryDirectory[str] | None = None

    # -- the SMTP side --------------------------------------------------------------------------
    def serve(self) -> EmailFake:
        super().serve()
        smtp_options: dict[str, Any] = {
            "server_hostname": "journeyhub-fake-smtp",
            "authenticator": self._authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
        tls_context = None
        if self.security != "none":
            self._certs = tempfile.TemporaryDirectory(prefix="journeyhub-fake-smtp-")
            self.smtp_ca_path, tls_context = issue_certificates(Path(self._certs.name))
        if self.security == "starttls":
            smtp_options |= {"tls_context": tls_context, "require_starttls": True}
        self._controller = _Controller(
            self,
            hostname="127.0.0.1",
            port=self._smtp_port,
            ssl_context=tls_context if self.security == "tls" else None,
            **smtp_options,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._certs is not None:
            self._certs.cleanup()
            self._certs = None
        super().stop()

    @property
    def smtp_port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the fake is not serving; call serve() first")
        return int(self._controller.port)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login.decode() == self.username and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            rule = self._rejections.get(address.lower())
            if rule is not None:
                code, text, times = rule
                if times is not None:
                    rule[2] = times - 1
                    if rule[2] <= 0:
                        del self._rejections[address.lower()]
                return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        with self._lock:
            self.received_total += 1
            record = _record(self.received_total, envelope, parsed)
            self._messages.append(record)
            listeners = list(self._listeners)
        line = f"{record['received_at']} {record['message_id']} to {', '.join(record['rcpt_tos'])}: {record['subject']}"
        for listener in listeners:
            listener(line)
        return f"250 2.0.0 OK: queued as {self.received_total}"

    # -- control surface ----------------------------------------------------------------------
    def reject(
        self, address: str, code: int = 550, *, text: str | None = None, times: int | None = None
    ) -> None:
        """Answer RCPT for `address` with `code` (550, 451, ...), always or for the next `times` messages."""
        if not 400 <= code < 600:
            raise ValueError("code must be an SMTP error (4xx or 5xx)")
        with self._lock:
            self._rejections[address.lower()] = [code, text or REPLIES.get(code, "Refused"), times]

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)

    def show_received(self, show: Callable[[str], None]) -> None:
        """Tell `show` one line per message as it arrives (`journeyhub fake email` prints them)."""
        with self._lock:
            self._listeners.append(show)

    # -- what clients need --------------------------------------------------------------------
    @property
    def credentials(self) -> dict[str, str]:
        settings = {
            "host": "127.0.0.1",
            "port": str(self.smtp_port),
            "security": self.security,
            "username": self.username,
            "password": self.password,
            "from_address": FROM_ADDRESS,
        }
        if self.smtp_ca_path is not None:
            settings["ca_bundle"] = str(self.smtp_ca_path)
        return settings

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"messages": self.base_url + MESSAGES_PATH}

    # -- the HTTP side ------------------------------------------------------------------------
    def routes(self) -> list[Rule]:
        return [
            Rule(MESSAGES_PATH, methods=["GET"], endpoint="list_messages"),
            Rule(MESSAGES_PATH, methods=["DELETE"], endpoint="clear_messages"),
            Rule("/_fake/rejections", methods=["POST"], endpoint="add_rejection"),
        ]

    def authorized(self, request: Request) -> bool:
        return True  # a local control surface, like /_fake/requests

    def list_messages(self, request: Request) -> Response:
        return json_response(list(self._messages))

    def clear_messages(self, request: Request) -> Response:
        self._messages.clear()
        return Response(status=204)

    def add_rejection(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("address"), str):
            raise ApiError(400, "address is required")
        times = body.get("times")
        try:
            self.reject(
                body["address"],
                as_int(body.get("code", 550), "code"),
                times=None if times is None else as_int(times, "times"),
            )
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return json_response({"address": body["address"]}, 201)

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        return json_response({"error": {"code": code or str(status), "message": message or "error"}}, status)

    def decorate(self, request: Request, response: Response) -> None:
        return None


def _record(number: int, envelope: Envelope, parsed: email.message.EmailMessage) -> dict[str, Any]:
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    return {
        "id": number,
        "received_at": utcnow().isoformat(),
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "message_id": parsed["Message-ID"],
        "subject": parsed["Subject"],
        "content_type": parsed.get_content_type(),
        "headers": {name: str(value) for name, value in parsed.items()},
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
    }


def start(*, port: int = 0, seed: int = 1, **options: Any) -> EmailFake:
    """Serve an SMTP fake on `port` (0: a free one); options: ``security``, ``username``, ``password``."""
    return EmailFake(smtp_port=port, seed=seed, **options).serve()
