"""Who may use the admin: Flask-Login sessions, CSRF on every admin form, careful cookies.

CSRF is checked for every POST under /admin/ (forms built by flask-admin, ours, and the
buttons that act: test, sync, replay, revoke); the JSON API and webhooks keep their own
authentication and are not asked for a token they could never have.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from hub.db import db
from hub.models import AdminUser

ADMIN_PREFIX = "/admin"
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "jh_admin.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


class User:
    """What Flask-Login keeps per request: the id and email, not the ORM row (sessions end)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user_id: int, email: str) -> None:
        self.id, self.email = user_id, email

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    row = db.session.execute(sa.select(AdminUser.id, AdminUser.email).where(AdminUser.id == int(user_id)))
    found = row.first()
    return User(found.id, found.email) if found else None


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the page was served over https, whatever the config says."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _check_csrf() -> None:
    if request.method == "POST" and request.path.startswith(ADMIN_PREFIX + "/"):
        csrf.protect()


def init_app(app: Flask) -> None:
    settings: Any = app.config["JOURNEYHUB"]
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,
        # Behind a proxy that ends TLS the request looks like http; the public address says https.
        SESSION_COOKIE_SECURE=str(settings.journeyhub_public_url).startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    login_manager.init_app(app)
    app.before_request(_check_csrf)


def embedded(app: Flask) -> bool:
    """The embedded default: SQLite in JOURNEYHUB_HOME, where the first visit may create the first admin."""
    settings: Any = app.config["JOURNEYHUB"]
    return settings.database_url is None
