"""Standard Webhooks signatures (standardwebhooks.com): `v1,<base64 HMAC-SHA256>` of id.timestamp.body.

In the SDK so every connector that accepts Standard Webhooks verifies them the same way
without importing another connector; tests sign requests the way senders do.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from connectors.sdk.events import SignatureError
from connectors.sdk.signing import hmac_text, require_fresh, require_match

PREFIX = "whsec_"
STAMP = re.compile(r"[0-9]{1,15}")
SECRET_BYTES = 24


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64 part after `whsec_`; ValueError when it is not one."""
    if not secret.startswith(PREFIX):
        raise ValueError("must start with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError("the part after whsec_ must be base64") from None
    if len(key) < 16:
        raise ValueError("must hold at least 16 bytes of key")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + hmac_text(secret_key(secret), signed, algorithm="sha256", encoding="base64")


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime, tolerance: timedelta) -> None:
    """Raises SignatureError unless one of the space-separated v1 signatures matches in time."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not (msg_id and stamp and given):
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature are required")
    if not STAMP.fullmatch(stamp):  # not str.isdigit: it takes "²", which int() refuses
        raise SignatureError("webhook-timestamp must be whole seconds since the epoch")
    sent = int(stamp)
    try:
        sent_at = datetime.fromtimestamp(sent, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError("webhook-timestamp is not a time") from None
    require_fresh(sent_at, now, tolerance, "webhook-timestamp")
    require_match(sign(secret, msg_id, sent, body), given.split(), "webhook-signature")
