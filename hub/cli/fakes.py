"""`journeyhub fake CONNECTOR`: a provider's local imitation, for trying things and for tests."""

from __future__ import annotations

import json
import signal
import sys
import threading

import click

from connectors.registry import UnknownConnector, get_connector, with_fake


@click.command()
@click.argument("connector")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="0 picks a free port")
@click.option("--members", default=100, show_default=True, type=click.IntRange(0))
def fake(connector: str, port: int, members: int) -> None:
    """Run CONNECTOR's fake API seeded with N members; prints its address, credentials and cohorts.

    A fake that receives messages (email) also shows each one on stderr as it arrives.
    """
    try:
        server = get_connector(connector).fake(port=port, members=members)
    except UnknownConnector as exc:
        raise click.ClickException(str(exc)) from None
    if server is None:
        raise click.ClickException(f"connector {connector!r} has no fake (fakes: {', '.join(with_fake())})")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        click.echo(json.dumps(server.describe()))
        show_received = getattr(server, "show_received", None)
        if callable(show_received):
            show_received(lambda line: click.echo(line, err=True))
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
