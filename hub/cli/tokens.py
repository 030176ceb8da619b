"""`journeyhub token create`: API tokens for the JSON API."""

from __future__ import annotations

import click

from hub.cli.common import database_app


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--name", required=True, help="Who or what uses it, to recognise it later.")
def token_create(name: str) -> None:
    """Create an API token and print it, alone on one line (it is not shown again)."""
    from hub.api.auth import create_token
    from hub.db import db

    app = database_app()
    with app.app_context():
        value = create_token(name)
        db.session.commit()
    click.echo(value)
