"""`journeyhub create-admin`: the first (or another) person who may sign in to the admin UI."""

from __future__ import annotations

import click
import sqlalchemy as sa

from hub.cli.common import database_app


@click.command("create-admin")
@click.option("--email", required=True, help="What they sign in with.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 10 characters; asked for when not given, so it stays out of the shell history.",
)
def create_admin(email: str, password: str) -> None:
    """Create an admin login for the UI at /admin/."""
    from hub.db import db
    from hub.models import AdminUser
    from hub.models.admin import email_problem, password_problem

    email = email.strip().lower()
    problem = email_problem(email) or password_problem(password)
    if problem:
        raise click.ClickException(problem)
    app = database_app()
    with app.app_context():
        if db.session.scalar(sa.select(AdminUser.id).where(AdminUser.email == email)) is not None:
            raise click.ClickException(f"an admin with the email {email} exists already")
        user = AdminUser(email=email)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
