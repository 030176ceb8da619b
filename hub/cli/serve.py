"""The long-running commands: `serve` (web app, and the jobs without Redis) and `worker` (RQ)."""

from __future__ import annotations

import click

from hub.cli.common import database_app, finish_jobs, settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port"
)
def serve(host: str, port: int) -> None:
    """Serve the web app (and, without REDIS_URL, the in-process worker); migrates first.

    SIGTERM or Ctrl-C stops it gracefully: no new connections, the requests already
    accepted are answered, the jobs in this process finish, then it exits 0.
    """
    from hub.cli.server import Server, stop_on_signals
    from hub.runtime.jobs import InProcessBackend
    from hub.runtime.schedule import start_in_process

    app = database_app()
    try:
        server = Server(app, host, port, threads=app.config["JOURNEYHUB"].journeyhub_threads)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if isinstance(backend := app.extensions["journeyhub.jobs"], InProcessBackend):
        start_in_process(backend)
    with stop_on_signals(server):  # before the address is printed: whoever reads it may stop us at once
        click.echo(f"journeyhub listening on {server.address}")
        server.serve()
        finish_jobs(app)


@click.command()
def worker() -> None:
    """Run an RQ worker with its scheduler and cron (needs REDIS_URL)."""
    from hub.runtime.worker import run_worker

    if settings().redis_url is None:
        raise click.ClickException(
            "journeyhub worker needs REDIS_URL; without it `journeyhub serve` runs the jobs itself"
        )
    run_worker(database_app(migrate=False))
