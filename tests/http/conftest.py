"""A real HTTP server on 127.0.0.1 that each test scripts, and clients allowed to reach it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from hub.outbound.client import ErrorTable, HttpClient
from hub.outbound.retries import Policy

TOKEN = "pat-na1-5f3c2e9a-token-value"


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]


class LocalServer:
    """A real WSGI server whose next replies each test scripts; it records what it received."""

    def __init__(self) -> None:
        self.script: deque[Reply | Callable[[Request], Reply]] = deque()
        self.seen: list[Seen] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def reply(self, *replies: Reply | Callable[[Request], Reply]) -> None:
        self.script.extend(replies)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append(
            Seen(request.method, request.path, request.query_string.decode(), dict(request.headers))
        )
        scripted = self.script.popleft() if self.script else Reply()
        reply = scripted(request) if callable(scripted) else scripted
        time.sleep(reply.delay_s)
        body = reply.body if isinstance(reply.body, str | bytes) else json.dumps(reply.body)
        return Response(body, status=reply.status, headers=reply.headers)(environ, start_response)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(server: LocalServer, sleeps: list[float]) -> Iterator[HttpClient]:
    with local_client(server.url, sleeps, headers={"Authorization": f"Bearer {TOKEN}"}) as made:
        yield made


POLICY_OPTIONS = frozenset({"allowed_hosts", "max_attempts", "max_wait_s", "on_retry", "stats"})
ERROR_OPTIONS = frozenset({"status_overrides", "classify", "wait_hint"})


def local_client(url: str, sleeps: list[float], **options: Any) -> HttpClient:
    """Allowed to reach the loopback test server; records the waits it asks for instead of sleeping."""
    policy = {k: options.pop(k) for k in list(options) if k in POLICY_OPTIONS}
    policy["allowed_hosts"] = tuple(policy.get("allowed_hosts", ("127.0.0.1",)))
    errors = {k: options.pop(k) for k in list(options) if k in ERROR_OPTIONS}
    return HttpClient(url, Policy(sleep=sleeps.append, **policy), errors=ErrorTable(**errors), **options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
