"""`journeyhub db upgrade`: the schema changes only through the Alembic revisions."""

from __future__ import annotations

import click

from hub.cli.common import database_app


@click.group("db")
def database() -> None:
    """Database schema."""


@database.command("upgrade")
def upgrade() -> None:
    """Apply migrations up to the newest revision."""
    database_app()
