"""Bearer tokens for the JSON API (only a token's SHA-256 is stored), or a signed-in admin's session.

The admin's own pages (the recipe builder, the journey view) call this API from the browser. A
session cookie alone would let another site make the browser call it, so a session counts only
with the page's CSRF token in `X-CSRFToken`; a request that sends `Authorization` is judged by
its token alone.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from hub.db import db, utcnow
from hub.errors import ApiError
from hub.models import ApiToken

TOKEN_PREFIX = "jh_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="journeyhub"'}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, token_hash=token_hash(token)))
    return token


def require_token() -> None:
    """Blueprint guard: 401 with a WWW-Authenticate challenge unless a known token is sent."""
    header = request.headers.get("Authorization", "")
    if not header and _admin_session():
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>", headers=CHALLENGE)
    found = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip())))
    if found is None:
        raise ApiError(401, "unauthorized", "unknown API token", headers=CHALLENGE)
    found.last_used_at = utcnow()
    db.session.commit()
    g.api_token_id = found.id


def _admin_session() -> bool:
    """A signed-in admin (Flask-Login) whose request carries the page's CSRF token; 403 without it."""
    if getattr(current_app, "login_manager", None) is None or not current_user.is_authenticated:
        return False
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError as exc:
        raise ApiError(403, "csrf", f"a signed-in session must send X-CSRFToken: {exc}") from None
    g.api_admin_id = int(current_user.get_id())
    return True
