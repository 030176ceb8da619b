"""The `journeyhub` command. Each command builds the app itself, so `--help` does no I/O.

One module per area; this one only gathers them. Every failure is one `Error:` line and
exit code 1 (see hub.cli.common).
"""

from __future__ import annotations

import click

from hub.cli import admins, connections, demo, fakes, schema, serve, sync, tokens
from hub.cli.common import Group


@click.group(cls=Group)
@click.version_option(package_name="journeyhub")
def main() -> None:
    """journeyhub: journey-triggered customer research hub."""


for command in (
    serve.serve,
    serve.worker,
    schema.database,
    tokens.token,
    connections.connection,
    fakes.fake,
    sync.sync,
    admins.create_admin,
    demo.demo,
):
    main.add_command(command)
