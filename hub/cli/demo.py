"""`journeyhub demo`: the whole loop against the built-in fakes, then the UI, in one process.

The server answers from the main thread (signals stop it gracefully, as `serve`); the demo's
script runs beside it, talking to it over HTTP like any outside system. Once the summary is
printed the hub's periodic ticks start and the UI stays up at the printed address.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import click
from flask import Flask

from hub.cli.common import database_app, describe, finish_jobs

if TYPE_CHECKING:
    from hub.cli.server import Server

LOOPBACK = "127.0.0.1"


@click.command()
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port"
)
@click.option("--json", "as_json", is_flag=True, help="also print the summary as one JSON line")
def demo(port: int, as_json: bool) -> None:
    """Seed a workspace against the fakes, run the whole loop, print a summary, then serve the UI."""
    from hub.cli.server import Server, stop_on_signals
    from hub.demo.fakes import start_fakes, stop_fakes

    port = port or _free_port()
    address = f"http://{LOOPBACK}:{port}"
    os.environ["JOURNEYHUB_PUBLIC_URL"] = address  # the invite links in the emails point here
    allowed = [h for h in os.environ.get("JOURNEYHUB_ALLOWED_HOSTS", "").split(",") if h.strip()]
    os.environ["JOURNEYHUB_ALLOWED_HOSTS"] = ",".join(dict.fromkeys([*allowed, LOOPBACK]))  # the fakes
    app = database_app()
    try:
        server = Server(app, LOOPBACK, port, threads=app.config["JOURNEYHUB"].journeyhub_threads)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror or exc}") from None
    fakes = start_fakes()
    failed: list[str] = []
    script = threading.Thread(target=_script, args=(app, server, fakes, failed, as_json), daemon=True)
    try:
        with stop_on_signals(server):
            click.echo(f"journeyhub demo on {server.address}: running the whole loop against the fakes")
            script.start()
            server.serve()
            finish_jobs(app)
    finally:
        stop_fakes(fakes)
    if failed:
        raise click.ClickException(failed[0])


def _script(app: Flask, server: Server, fakes: dict[str, Any], failed: list[str], as_json: bool) -> None:
    """The loop, then the summary and the login; a failure is one line and stops the server."""
    from hub.demo.run import demo_login, run_demo
    from hub.runtime.jobs import InProcessBackend
    from hub.runtime.schedule import start_in_process

    started = time.monotonic()
    try:
        summary = run_demo(app, server.address, fakes, lambda line: click.echo(f"  {line}"))
        email, password = demo_login(app)
    except Exception as exc:  # one line, never a traceback: the stop below ends the command
        failed.append(f"the demo stopped: {describe(exc)}")
        server.stopping = True
        return
    took = time.monotonic() - started
    click.echo(f"Summary after {took:.0f} s (counted in the database and read back from the fakes):")
    for line in summary.lines():
        click.echo(f"  {line}")
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    backend = app.extensions["journeyhub.jobs"]
    if isinstance(backend, InProcessBackend):
        start_in_process(backend)
    click.echo(f"The UI: {server.address}/admin/  (login {email} / {password})")
    click.echo(f"The journey: {server.address}/admin/journeys/{summary.journey_id}/  · Ctrl-C stops it")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])
