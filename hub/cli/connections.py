"""`journeyhub connection add CONNECTOR …` and `connection list`.

`connection add` holds one subcommand per registered connector, built from its declaration,
so `connection add hubspot --help` lists HubSpot's own settings and a new connector folder
shows up here with nothing else to change.
"""

from __future__ import annotations

import json
from typing import Any

import click
import sqlalchemy as sa
from click.formatting import wrap_text
from sqlalchemy.exc import IntegrityError

from connectors.registry import UnknownConnector, all_connectors, get_connector
from connectors.sdk import ConfigProblem, Connector
from hub.cli.common import database_app

COLUMNS = ("id", "connector", "name", "status")


@click.group()
def connection() -> None:
    """Connections to external systems."""


class ConnectorCommands(click.Group):
    """`connection add`'s subcommands: one per connector in the registry."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(all_connectors())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command:
        try:
            return AddConnection(get_connector(cmd_name))
        except UnknownConnector as exc:
            raise click.ClickException(str(exc)) from None

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [self.subcommand_metavar or ""]  # its only option is --help

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary(connector)) for name, connector in all_connectors().items()]
        with formatter.section("Connectors"):
            formatter.write_dl(rows)


def summary(connector: Connector) -> str:
    kinds = ", ".join(sorted(connector.spec.capabilities))
    return f"{connector.spec.title}: {kinds}" if kinds else connector.spec.title


class AddConnection(click.Command):
    """`connection add NAME`: its --help lists the connector's settings, described by the connector."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        spec = connector.spec
        super().__init__(
            spec.name,
            callback=lambda name, pairs: add(spec.name, name, pairs),
            params=[
                click.Option(["--name"], required=True, help="A name for it, unique among this connector's."),
                click.Option(
                    ["--set", "pairs"],
                    multiple=True,
                    metavar="KEY=VALUE",
                    help="A setting (repeatable); the settings are listed below.",
                ),
            ],
            help=f"Add a {spec.title} connection; prints its id and any generated keys as one JSON object.",
            short_help=summary(connector),
        )

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section(f"Settings of {self.connector.spec.name} (--set KEY=VALUE)"):
            fields = self.connector.spec.fields
            indent = " " * formatter.current_indent
            for field in fields:  # a hanging indent, so each setting starts where the eye looks
                text = wrap_text(field.describe(), formatter.width, indent, indent + "    ")
                formatter.write(f"{text}\n")
            if not fields:
                formatter.write_text("none: this connector needs no settings")


@connection.group("add", cls=ConnectorCommands, subcommand_metavar="CONNECTOR --name N [--set KEY=VALUE]...")
def connection_add() -> None:
    """Add a connection; prints one JSON object: its id, connector, name and any generated keys.

    `journeyhub connection add CONNECTOR --help` lists that connector's settings.
    """


def add(connector: str, name: str, pairs: tuple[str, ...]) -> None:
    from hub.connections import create_connection, created_view
    from hub.db import db

    values = parse_pairs(pairs)
    app = database_app()
    with app.app_context():
        try:
            created = create_connection(connector, name, values)
            db.session.commit()
        except ConfigProblem as exc:
            raise click.ClickException(str(exc)) from None
        except IntegrityError:
            db.session.rollback()
            raise click.ClickException(
                f"a {connector} connection named {name!r} already exists (see `journeyhub connection list`)"
            ) from None
        click.echo(json.dumps(created_view(created)))


def parse_pairs(pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():  # the text itself is not repeated: it may be a secret
            missing = "'='" if not sep else "key"
            raise click.ClickException(f"--set expects key=value, and one has no {missing}")
        values[key.strip()] = value
    return values


@connection.command("list")
def connection_list() -> None:
    """List connections: id, connector, name and status, one a line (settings are never shown)."""
    from hub.db import db
    from hub.models import Connection

    app = database_app()
    with app.app_context():
        columns = [getattr(Connection, column) for column in COLUMNS]
        rows = [
            tuple(map(str, row)) for row in db.session.execute(sa.select(*columns).order_by(Connection.id))
        ]
    widths = [max(len(cell) for cell in column) for column in zip(COLUMNS, *rows, strict=False)]
    for row in [tuple(c.upper() for c in COLUMNS), *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not rows:
        click.echo("no connections yet: `journeyhub connection add --help` lists what can be added", err=True)
