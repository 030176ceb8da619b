"""Signed links: the invite link that carries a person's context, and the unsubscribe link.

Both are itsdangerous tokens keyed from the app's secret (a key derived for links alone, see
hub.secrets) and salted per purpose, so an unsubscribe token is never a valid invite link
and the other way round. The context (the campaign's traits, segment, plan, journey stage,
trigger event, recipe) rides inside the signed invite token, not in plain query parameters,
so nobody can change what the interview is told about them. An invite link expires after the
campaign's `link_expiry_days`, which is signed into the token with it; an unsubscribe link
never expires, since opting out must keep working.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer

from hub.secrets import derived_key

INVITE_SALT = "invite-link"
UNSUBSCRIBE_SALT = "unsubscribe"
_KEY = "journeyhub.link_signers"


class LinkProblem(ValueError):
    """A token that cannot be used, in words for the person who followed it."""


@dataclass(frozen=True)
class InviteLink:
    invite_id: int
    context: dict[str, Any]


def _serializers() -> tuple[URLSafeTimedSerializer, URLSafeSerializer]:
    """The app's two signers (invite links, unsubscribe links), made once per app."""
    found: tuple[URLSafeTimedSerializer, URLSafeSerializer] | None = current_app.extensions.get(_KEY)
    if found is None:
        key = derived_key(current_app.config["JOURNEYHUB"].fernet_key(), purpose="signed links")
        found = (URLSafeTimedSerializer(key, salt=INVITE_SALT), URLSafeSerializer(key, salt=UNSUBSCRIBE_SALT))
        current_app.extensions[_KEY] = found
    return found


def _base() -> str:
    return str(current_app.config["JOURNEYHUB"].journeyhub_public_url)


def invite_token(invite_id: int, context: Mapping[str, Any], expiry_days: int) -> str:
    data = {"i": invite_id, "d": expiry_days, "c": dict(context)}
    return _serializers()[0].dumps(data)


def invite_url(token: str) -> str:
    return f"{_base()}/i/{token}"


def read_invite(token: str, now: float | None = None) -> InviteLink:
    """The invite and context a token names; LinkProblem when it was altered or has expired."""
    try:
        data, signed_at = _serializers()[0].loads(token, return_timestamp=True)
        invite_id, days, context = int(data["i"]), int(data["d"]), dict(data["c"])
    except (BadData, KeyError, TypeError, ValueError):
        raise LinkProblem(
            "This invitation link is not valid: it may have been cut short or altered."
        ) from None
    age_s = (time.time() if now is None else now) - signed_at.timestamp()
    if age_s > days * 86_400:
        raise LinkProblem(f"This invitation link has expired: it was valid for {days} days.")
    return InviteLink(invite_id, context)


def unsubscribe_token(profile_id: int, invite_id: int) -> str:
    return str(_serializers()[1].dumps({"p": profile_id, "i": invite_id}))


def unsubscribe_url(token: str) -> str:
    return f"{_base()}/u/{token}"


def read_unsubscribe(token: str) -> int:
    """The profile an unsubscribe token names; LinkProblem when it was altered."""
    try:
        data = _serializers()[1].loads(token)
        return int(data["p"])
    except (BadData, KeyError, TypeError, ValueError):
        raise LinkProblem(
            "This unsubscribe link is not valid: it may have been cut short or altered."
        ) from None
