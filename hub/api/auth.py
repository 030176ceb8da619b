"""Bearer tokens for the JSON API. Only a token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import g, request

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
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>", headers=CHALLENGE)
    found = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip())))
    if found is None:
        raise ApiError(401, "unauthorized", "unknown API token", headers=CHALLENGE)
    found.last_used_at = utcnow()
    db.session.commit()
    g.api_token_id = found.id
