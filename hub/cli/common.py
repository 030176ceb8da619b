"""What every command shares: building the app, opening the database, and one way to fail.

A command that fails prints ONE line, `Error: …`, and exits 1: an operator reads what to
fix, a script reads the exit code, and nobody reads a traceback that may carry secrets
(a SQLAlchemy error quotes the statement's parameters, the encrypted settings among them).
"""

from __future__ import annotations

import logging
from typing import Any

import click
import sqlalchemy as sa
from click.exceptions import Exit, NoArgsIsHelpError
from flask import Flask

from hub.config import Settings, SettingsError, load_settings
from hub.outbound.scrub import SCRUBBER, scrub

log = logging.getLogger(__name__)


class Group(click.Group):
    """The top-level group: usage mistakes and unexpected exceptions become one `Error:` line."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise one_line(exc) from None
        except (click.ClickException, click.Abort, Exit):
            raise
        except Exception as exc:
            log.debug("journeyhub stopped by an unexpected error", exc_info=True)
            raise click.ClickException(describe(exc)) from None


def one_line(exc: click.UsageError) -> click.ClickException | click.UsageError:
    """Click's usage errors span four lines and exit 2; ours name the --help to read instead."""
    if isinstance(exc, NoArgsIsHelpError):
        return exc
    hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    return click.ClickException(f"{exc.format_message()}{hint}")


def describe(exc: BaseException) -> str:
    """One line about an exception nobody planned for, without the values it may quote.

    The full traceback goes to the log at DEBUG (JOURNEYHUB_LOG_LEVEL=DEBUG), scrubbed.
    """
    if isinstance(exc, sa.exc.DBAPIError):
        text = f"database error: {first_line(exc.orig)}"
    elif isinstance(exc, sa.exc.SQLAlchemyError):
        text = f"database error: {type(exc).__name__}"
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    else:
        text = f"{type(exc).__name__}: {first_line(exc)}"
    return SCRUBBER.scrub(text)


def first_line(exc: BaseException | None) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def make_app() -> Flask:
    from hub.app import create_app

    try:
        return create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def database_app(*, migrate: bool = True) -> Flask:
    """The app on a reachable (migrated) database whose stored secrets this process can read.

    Every command that opens the database starts here, so a wrong DATABASE_URL or a key that
    cannot decrypt the stored connections stops it at once, before it writes anything.
    Workers do not migrate: many may start at once, and migrating is `db upgrade`'s job.
    """
    from hub.db import db
    from hub.migrate import upgrade

    app = make_app()
    with app.app_context():
        try:
            if migrate:
                upgrade(db.engine)
            check_secret_key(app)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            where = db.engine.url.render_as_string(hide_password=True)
            reason = scrub(first_line(exc.orig), [str(db.engine.url.password or "")])
            raise click.ClickException(f"cannot use the database {where}: {reason}") from None
    return app


def check_secret_key(app: Flask) -> None:
    """Opens one stored connection's settings: a key that cannot is refused now, not mid-sync."""
    from hub.db import db
    from hub.models import Connection
    from hub.secrets import SecretsError, vault

    sealed = db.session.scalar(sa.select(Connection.config_encrypted).order_by(Connection.id).limit(1))
    if sealed is None:
        return
    try:
        vault().open(sealed)
    except SecretsError:
        settings = app.config["JOURNEYHUB"]
        if settings.journeyhub_secret_key is not None:
            problem = "JOURNEYHUB_SECRET_KEY does not match"
        else:
            problem = (
                f"JOURNEYHUB_SECRET_KEY is unset and the key in {settings.home / 'secret.key'} does not match"
            )
        raise click.ClickException(
            f"{problem} the key the stored connections were encrypted with; "
            "set JOURNEYHUB_SECRET_KEY to the key they were saved with"
        ) from None


def finish_jobs(app: Flask, timeout: float = 120.0) -> None:
    """Without Redis, queued work lives in this process: let it finish before the process ends."""
    from hub.runtime.jobs import InProcessBackend

    backend = app.extensions["journeyhub.jobs"]
    if isinstance(backend, InProcessBackend):
        if not backend.drain(timeout):
            click.echo(f"journeyhub: jobs still running after {timeout:.0f} s are abandoned", err=True)
        backend.shutdown()
