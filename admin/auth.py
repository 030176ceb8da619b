"""Sign in, sign out, and the one-time page that creates the first admin in the embedded default.

The setup page exists only while no admin exists and the hub runs on its embedded SQLite
database; once someone is created it answers 404, and a hub on a configured database gets
its admins from `journeyhub create-admin` only.
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_required, login_user, logout_user

from admin.forms import LoginForm, SetupForm
from admin.ratelimit import Limiter
from admin.security import User, embedded
from hub.db import db, utcnow
from hub.models import AdminUser

bp = Blueprint(
    "jh_admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
LIMITER = "journeyhub.admin_sign_in_limiter"


@cache
def _decoy() -> AdminUser:
    """Checked against when no admin has the email, so a wrong email takes as long as a wrong password."""
    user = AdminUser(email="")
    user.set_password(secrets.token_urlsafe(16))
    return user


def init_app(app: Flask) -> None:
    app.extensions[LIMITER] = Limiter()
    app.register_blueprint(bp)


def setup_open() -> bool:
    return embedded(current_app) and db.session.scalar(sa.select(AdminUser.id).limit(1)) is None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if setup_open():
        return redirect(url_for("jh_admin.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        email, address = form.email.data.strip().lower(), request.remote_addr or "unknown"
        limiter: Limiter = current_app.extensions[LIMITER]
        wait = limiter.wait_s(email, address)
        if wait:
            minutes = -(-wait // 60)
            message = f"Too many failed sign-ins. Try again in {minutes} minute{'s' * (minutes != 1)}."
            return render_template("jh/login.html", form=form, error=message), 429
        user = db.session.scalar(sa.select(AdminUser).where(AdminUser.email == email))
        if user is None:
            _decoy().check_password(form.password.data)
        elif user.check_password(form.password.data):
            limiter.succeeded(email)
            return _sign_in(user)
        limiter.failed(email, address)
        return render_template("jh/login.html", form=form, error="Wrong email or password."), 401
    return render_template("jh/login.html", form=form, error=None)


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    if not setup_open():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        user = AdminUser(email=form.email.data.strip().lower())
        user.set_password(form.password.data)
        db.session.add(user)
        db.session.flush()
        if db.session.scalar(sa.select(sa.func.count()).select_from(AdminUser)) != 1:
            db.session.rollback()  # someone else finished setting up first
            abort(404)
        flash("Welcome! Your admin account is ready.", "success")
        return _sign_in(user)
    return render_template("jh/setup.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("jh_admin.login"))


def _sign_in(user: AdminUser) -> Any:
    user.last_login_at = utcnow()
    db.session.commit()
    session.clear()  # nothing from before the sign-in carries over
    login_user(User(user.id, user.email))
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: `next=https://evil.example` must not turn sign-in into a redirector."""
    default = url_for("admin.index")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
