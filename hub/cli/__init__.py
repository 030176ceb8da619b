"""The `journeyhub` command. Each command builds the app itself, so `--help` does no I/O."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import Flask

from connectors.registry import UnknownConnector
from connectors.sdk import ConfigProblem
from hub.config import SettingsError


def make_app() -> Flask:
    from hub.app import create_app

    try:
        return create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def migrated_app() -> Flask:
    from hub.db import db
    from hub.migrate import upgrade

    app = make_app()
    with app.app_context():
        upgrade(db.engine)
    return app


def finish_jobs(app: Flask, timeout: float = 120.0) -> None:
    """Without Redis, queued work lives in this process: let it finish before the process ends."""
    from hub.runtime.jobs import InProcessBackend

    backend = app.extensions["journeyhub.jobs"]
    if isinstance(backend, InProcessBackend):
        if not backend.drain(timeout):
            click.echo(f"journeyhub: jobs still running after {timeout:.0f} s are abandoned", err=True)
        backend.shutdown()


@click.group()
def main() -> None:
    """journeyhub: journey-triggered customer research hub."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app (and, without REDIS_URL, the in-process worker)."""
    from werkzeug.serving import make_server

    from hub.runtime.jobs import InProcessBackend
    from hub.runtime.schedule import start_in_process

    app = migrated_app()
    if isinstance(backend := app.extensions["journeyhub.jobs"], InProcessBackend):
        start_in_process(backend)
    server = make_server(host, port, app, threaded=True)
    click.echo(f"journeyhub listening on http://{host}:{server.server_port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        finish_jobs(app)


@main.command()
def worker() -> None:
    """Run an RQ worker with its scheduler (needs REDIS_URL)."""
    from hub.runtime.worker import run_worker

    app = make_app()
    try:
        run_worker(app)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations up to the newest revision."""
    migrated_app()


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--name", required=True)
def token_create(name: str) -> None:
    """Create an API token and print it, alone on one line (it is not shown again)."""
    from hub.api.auth import create_token
    from hub.db import db as database

    app = migrated_app()
    with app.app_context():
        value = create_token(name)
        database.session.commit()
    click.echo(value)


def _parse_sets(pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, got {pair!r}", param_hint="--set")
        values[key.strip()] = value
    return values


@main.group()
def connection() -> None:
    """Connections to external systems."""


@connection.command("add")
@click.argument("connector")
@click.option("--name", required=True)
@click.option("--set", "pairs", multiple=True, help="a setting as key=value (repeatable)")
def connection_add(connector: str, name: str, pairs: tuple[str, ...]) -> None:
    """Add a connection; prints its id and any generated keys as one JSON object."""
    from hub.connections import create_connection, created_view
    from hub.db import db as database

    values = _parse_sets(pairs)
    app = migrated_app()
    with app.app_context():
        try:
            created = create_connection(connector, name, values)
        except (UnknownConnector, ConfigProblem) as exc:
            raise click.ClickException(str(exc)) from None
        database.session.commit()
        click.echo(json.dumps(created_view(created)))


@main.command()
@click.argument("connector")
@click.option("--port", default=0, type=int, help="0 picks a free port")
@click.option("--members", default=100, show_default=True, type=int)
def fake(connector: str, port: int, members: int) -> None:
    """Run CONNECTOR's fake API seeded with N members; prints its address, credentials and cohorts."""
    import signal
    import threading

    from connectors.registry import get_connector, with_fake

    try:
        server = get_connector(connector).fake(port=port, members=members)
    except UnknownConnector as exc:
        raise click.ClickException(str(exc)) from None
    if server is None:
        raise click.ClickException(f"connector {connector!r} has no fake (fakes: {', '.join(with_fake())})")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        described = {
            "base_url": server.base_url,
            "credentials": server.credentials,
            "cohorts": server.cohorts(),
        }
        click.echo(json.dumps(described))
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@main.command()
@click.argument("cohort_id", type=int)
def sync(cohort_id: int) -> None:
    """Sync one cohort now, in this process; prints its run's figures as one JSON object."""
    from hub.cohorts.sync import AlreadySyncing, NotSyncable, SyncFailed, run_sync

    app = migrated_app()
    with app.app_context():
        try:
            outcome = run_sync(cohort_id)
        except (AlreadySyncing, NotSyncable) as exc:
            raise click.ClickException(str(exc)) from None
        except SyncFailed as exc:
            outcome = exc.outcome
    finish_jobs(app)
    figures = {"run_id": outcome.run_id, "cohort_id": cohort_id, "status": outcome.status, **outcome.stats}
    click.echo(json.dumps(figures | {"error": outcome.error}))
    if outcome.status != "succeeded":
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
