"""The HTTP server of `journeyhub serve`: waitress, stopped gracefully by SIGTERM or Ctrl-C.

waitress is a production server that needs no fork: one process, so the in-process worker
shares it. Its own stop (KeyboardInterrupt out of `run()`) halts the loop that sends the
answers, so a request being handled at that moment may never get its answer. Here the loop
is ours: a stop closes the listening socket, keeps sending until every accepted request is
answered (or a grace period passes), and only then lets the caller finish the jobs.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from flask import Flask
from waitress import wasyncore  # type: ignore[import-untyped]
from waitress.server import create_server  # type: ignore[import-untyped]

POLL_S = 0.2
"""How long one turn of the loop may wait for sockets: the longest a stop waits to be noticed."""
GRACE_S = 10.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Server:
    def __init__(self, app: Flask, host: str, port: int, threads: int) -> None:
        self._map: dict[int, Any] = {}
        self._server = create_server(
            app, map=self._map, host=host, port=port, threads=threads, ident="journeyhub"
        )
        self.stopping = False

    @property
    def address(self) -> str:
        host = str(self._server.effective_host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self._server.effective_port}"

    def serve(self, grace_s: float = GRACE_S) -> None:
        """Answers until `stopping`, then stops accepting and lets accepted requests be answered."""
        while not self.stopping:
            wasyncore.loop(timeout=POLL_S, map=self._map, count=1)
        wasyncore.dispatcher.close(self._server)  # the listening socket only; answers still go out
        deadline = time.monotonic() + grace_s
        while self._answering() and time.monotonic() < deadline:
            wasyncore.loop(timeout=POLL_S / 4, map=self._map, count=1)
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._map)

    def _answering(self) -> bool:
        """A request is being received, handled, or its answer is not sent yet."""
        return any(
            channel.requests or channel.request is not None or channel.total_outbufs_len
            for channel in list(self._server.active_channels.values())
        )


@contextmanager
def stop_on_signals(server: Server) -> Iterator[None]:
    """The first SIGTERM or SIGINT stops gracefully; a second one stops at once, losing what is unfinished."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        if server.stopping:
            os.write(2, b"journeyhub: stopped at once; unfinished jobs are lost\n")
            os._exit(1)
        server.stopping = True

    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
