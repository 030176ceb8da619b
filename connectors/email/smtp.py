"""An SMTP session through the hub's guard, and what each SMTP failure means to the outbox.

The server's address is user-typed like any webhook URL, so the socket comes from the
guard (`guarded_connection`): the name is resolved once, private and loopback addresses
are refused unless an operator allowed the host, and the connection goes to the address
that was checked. SMTP's own reply codes then say who has to act: 4xx is "try again
later" (greylisting, a full queue), 5xx is final (no such mailbox, relaying denied), and
535 means the credentials are wrong, which only a person can fix.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from connectors.sdk import (
    CREDENTIALS_REJECTED,
    ConfigError,
    ErrorResolution,
    FailureType,
    HttpError,
    ResponseAction,
    TransientError,
    guarded_connection,
    outbound,
)

DEFAULT_PORT = 587
DEFAULT_TIMEOUT_S = 30

_REFUSED = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the mail server refused")
_LATER = ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the mail server said try later")
_UNSUPPORTED = ErrorResolution(
    ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the mail server does not support what the settings ask"
)
_UNTRUSTED = ErrorResolution(
    ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the mail server's certificate is not trusted"
)
_NO_TLS = ErrorResolution(
    ResponseAction.FAIL,
    FailureType.CONFIG_ERROR,
    "the TLS handshake failed; check the security setting against the port",
)
_TIMED_OUT = ErrorResolution(
    ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the mail server did not answer in time"
)
_UNREACHABLE = ErrorResolution(
    ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "could not talk to the mail server"
)


class _GuardedSMTP(smtplib.SMTP):
    def __init__(self, host: str, port: int, timeout: float, allowed_hosts: tuple[str, ...]) -> None:
        self.allowed_hosts = allowed_hosts
        super().__init__(host, port, timeout=timeout)  # connects, as smtplib does when given a host

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return guarded_connection(host, port, timeout, self.allowed_hosts)


class _GuardedSMTPSSL(smtplib.SMTP_SSL):
    """Implicit TLS (port 465): the guarded socket is wrapped before the server says a word."""

    def __init__(
        self, host: str, port: int, timeout: float, allowed_hosts: tuple[str, ...], context: ssl.SSLContext
    ) -> None:
        self.allowed_hosts = allowed_hosts
        super().__init__(host, port, timeout=timeout, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = guarded_connection(host, port, timeout, self.allowed_hosts)
        return self.context.wrap_socket(sock, server_hostname=host)


def _secrets(config: dict[str, Any]) -> list[str]:
    """The password, and the AUTH PLAIN blob that carries it, in case a server echoes either."""
    password = str(config.get("password") or "")
    if not password:
        return []
    plain = f"\0{config.get('username') or ''}\0{password}".encode()
    return [password, base64.b64encode(plain).decode()]


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _reply(code: int, reply: bytes | str, where: str, secrets: list[str]) -> HttpError:
    said = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    said = _scrub(" ".join(said.split()), secrets)
    if code == 535:
        return ConfigError(
            f"{where}: {CREDENTIALS_REJECTED.message} (server said: {code} {said})",
            resolution=CREDENTIALS_REJECTED,
            provider_message=f"{code} {said}",
        )
    transient = 400 <= code < 500
    resolution = _LATER if transient else _REFUSED
    cls = TransientError if transient else ConfigError
    return cls(f"{where}: {resolution.message} (server said: {code} {said})", resolution=resolution)


def classify(exc: BaseException, where: str, secrets: list[str]) -> HttpError:
    """The outbound failure class for an SMTP or network error; its text is safe to store."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, reply = next(iter(exc.recipients.values()))
        return _reply(code, reply, where, secrets)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error, where, secrets)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ConfigError(
            f"{where}: {_UNSUPPORTED.message} ({_scrub(str(exc), secrets)})", resolution=_UNSUPPORTED
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = _scrub(str(exc.verify_message), secrets)
        return ConfigError(f"{where}: {_UNTRUSTED.message} ({detail})", resolution=_UNTRUSTED)
    if isinstance(exc, ssl.SSLError):
        detail = _scrub(str(exc.reason or exc), secrets)
        return ConfigError(f"{where}: {_NO_TLS.message} ({detail})", resolution=_NO_TLS)
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):  # smtplib rewraps
        return TransientError(f"{where}: {_TIMED_OUT.message}", resolution=_TIMED_OUT)
    detail = _scrub(f"{type(exc).__name__}: {exc}", secrets)
    return TransientError(f"{where}: {_UNREACHABLE.message} ({detail})", resolution=_UNREACHABLE)


def _tls_context(config: dict[str, Any]) -> ssl.SSLContext:
    return _context(str(config["ca_bundle"]) if config.get("ca_bundle") else None)


@lru_cache(maxsize=16)
def _context(cafile: str | None) -> ssl.SSLContext:
    """One per trust store, shared by every session and thread (an SSLContext is thread-safe):
    loading the system's certificates for each message was most of an email's CPU (30 ms)."""
    return ssl.create_default_context(cafile=cafile)


@contextmanager
def session(config: dict[str, Any]) -> Iterator[smtplib.SMTP]:
    """Connected, greeted, encrypted as the settings ask and logged in; every failure inside is classified.

    Leaving the block says QUIT, and a failing QUIT is ignored: by then the server has
    answered for the message, and reporting a delivered invite as failed would send it twice.
    """
    host, port = str(config["host"]), int(config.get("port") or DEFAULT_PORT)
    security = str(config.get("security") or "starttls")
    timeout = float(config.get("timeout_s") or DEFAULT_TIMEOUT_S)
    where, secrets = f"SMTP {host}:{port}", _secrets(config)
    context, allowed = _tls_context(config), tuple(outbound().policy.allowed_hosts)
    smtp: smtplib.SMTP | None = None
    try:
        if security == "tls":
            smtp = _GuardedSMTPSSL(host, port, timeout, allowed, context)
        else:
            smtp = _GuardedSMTP(host, port, timeout, allowed)
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if config.get("username"):
            smtp.login(str(config["username"]), str(config.get("password") or ""))
        yield smtp
    except HttpError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise classify(exc, where, secrets) from None
    finally:
        if smtp is not None:
            _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
