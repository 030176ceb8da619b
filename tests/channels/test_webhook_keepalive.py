"""The webhook channel keeps its connection to a receiver between sends, and gets a new one when
the receiver has closed it, so a kept connection never costs a delivery."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from connectors.generic.sender import WebhookChannel
from tests.channels.conftest import invite
from tests.channels.test_webhook_channel import config


class _Receiver(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; counts the connections it accepted."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        server: Receiver = self.server  # type: ignore[assignment]
        with server.lock:
            server.connections += 1

    def do_POST(self) -> None:
        server: Receiver = self.server  # type: ignore[assignment]
        self.rfile.read(int(self.headers["Content-Length"]))
        self.answered = getattr(self, "answered", 0) + 1
        if server.drop_second and self.answered == 2:  # an idle timeout meeting the request: no answer
            self.close_connection = True
            return
        with server.lock:  # counted before answering, so the sender never sees an uncounted answer
            server.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        if server.hang_up:
            self.close_connection = True  # closed after answering, no `Connection: close` said

    def log_message(self, format: str, *args: object) -> None:
        return None


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, hang_up: bool = False, drop_second: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.lock = threading.Lock()
        self.connections = self.received = 0
        self.hang_up, self.drop_second = hang_up, drop_second
        self.url = f"http://127.0.0.1:{self.server_port}/in"
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture(params=[False, True], ids=["keeps", "hangs-up"])
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    server = Receiver(hang_up=request.param)
    yield server
    server.shutdown()
    server.server_close()


def test_sends_to_one_receiver_share_a_connection_until_it_is_closed(
    outbound_app: Flask, receiver: Receiver
) -> None:
    channel, settings = WebhookChannel(), config(receiver.url)
    for n in range(5):
        receipt = channel.send(settings, invite())
        assert receipt.detail["status"] == 200, n
    assert receiver.received == 5
    assert receiver.connections == (5 if receiver.hang_up else 1)


def test_a_kept_connection_closed_under_a_request_costs_nothing(outbound_app: Flask) -> None:
    receiver = Receiver(drop_second=True)
    try:
        channel, settings = WebhookChannel(), config(receiver.url)
        assert channel.send(settings, invite(1)).detail["status"] == 200
        assert channel.send(settings, invite(2)).detail["status"] == 200  # on a new connection
        assert (receiver.received, receiver.connections) == (2, 2)
    finally:
        receiver.shutdown()
        receiver.server_close()
