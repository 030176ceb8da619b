"""What every channel test needs: an app whose allow-list admits loopback, a real HTTP sink, one invite.

Channels are handed only a config and a message; the app context supplies the outbound
policy (allowed hosts) the way a delivery job's does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from connectors.sdk import Message, Recipient
from tests.conftest import close_app, make_app


@pytest.fixture
def outbound_app(tmp_path: Path) -> Iterator[Flask]:
    """Loopback allowed, as for the fakes; channels read the policy from this context."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    with app.app_context():
        yield app
    close_app(app)


@pytest.fixture
def guarded_app(tmp_path: Path) -> Iterator[Flask]:
    """Nothing allowed: loopback is refused as for any address a user typed."""
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", JOURNEYHUB_ALLOWED_HOSTS="")
    with app.app_context():
        yield app
    close_app(app)


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Sink:
    """A real HTTP receiver on 127.0.0.1: scripted replies, and every request kept whole."""

    def __init__(self) -> None:
        self.script: deque[Reply | Callable[[Request], Reply]] = deque()
        self.received: list[Received] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def reply(self, *replies: Reply | Callable[[Request], Reply]) -> None:
        self.script.extend(replies)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.received.append(
            Received(request.method, request.path, dict(request.headers), request.get_data())
        )
        scripted = self.script.popleft() if self.script else Reply()
        reply = scripted(request) if callable(scripted) else scripted
        time.sleep(reply.delay_s)
        body = reply.body if isinstance(reply.body, str | bytes) else json.dumps(reply.body)
        return Response(body, status=reply.status, headers=reply.headers)(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.stop()


def invite(number: int = 42, **changes: Any) -> Message:
    """One rendered invite as the outbox hands it to a channel."""
    recipient = changes.pop(
        "recipient",
        Recipient(profile_id=7, email="ada@example.com", name="Ada Lovelace", identities={"user_id": "u-7"}),
    )
    fields: dict[str, Any] = {
        "idempotency_key": f"invite-{number}.a1b2c3",
        "recipient": recipient,
        "subject": "Five minutes about your trial?",
        "text": "Hi Ada, tell us how the trial went: https://hub.example.com/i/tok",
        "html": '<p>Hi Ada, <a href="https://hub.example.com/i/tok">tell us how the trial went</a>.</p>',
        "link": "https://hub.example.com/i/tok",
        "unsubscribe_url": "https://hub.example.com/u/unsub-tok",
        "payload": {"invite": {"id": number}, "profile": {"id": 7}, "link": "https://hub.example.com/i/tok"},
    }
    return Message(**(fields | changes))
