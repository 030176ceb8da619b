"""The `journeyhub` command. Each command builds the app itself, so `--help` does no I/O."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import Flask

from connectors.base import ConfigProblem
from connectors.registry import UnknownConnector
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


@click.group()
def main() -> None:
    """journeyhub: journey-triggered customer research hub."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app (and, without REDIS_URL, the in-process worker)."""
    from werkzeug.serving import make_server

    app = migrated_app()
    server = make_server(host, port, app, threaded=True)
    click.echo(f"journeyhub listening on http://{host}:{server.server_port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
def worker() -> None:
    """Run an RQ worker with its scheduler (needs REDIS_URL)."""
    from hub.worker import run_worker

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


if __name__ == "__main__":
    sys.exit(main())
