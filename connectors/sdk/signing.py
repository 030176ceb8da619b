"""The steps every signed webhook shares: an HMAC over what the provider signed, compared in
constant time, and a timestamp within the tolerance either way.

Providers differ only in what they sign and how they print the digest; keeping the steps
here means a receiver cannot forget the constant-time comparison or the "too new" check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Literal

from connectors.sdk.events import SignatureError

Algorithm = Literal["sha1", "sha256"]
Encoding = Literal["hex", "base64"]


def hmac_text(key: bytes, message: bytes, *, algorithm: Algorithm, encoding: Encoding) -> str:
    digest = hmac.new(key, message, getattr(hashlib, algorithm)).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


def same_digest(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures as text."""
    return hmac.compare_digest(expected.encode(), given.encode())


def require_match(expected: str, candidates: list[str], header: str) -> None:
    """Raises SignatureError unless one candidate matches; all are compared, so timing tells nothing."""
    matched = False
    for candidate in candidates:
        matched |= same_digest(expected, candidate)
    if not matched:
        raise SignatureError(f"{header} does not match")


def require_fresh(sent_at: datetime, received_at: datetime, tolerance: timedelta, header: str) -> None:
    """A replayed delivery is refused once its signed time is further than `tolerance` either way."""
    skew = (received_at - sent_at).total_seconds()
    limit = int(tolerance.total_seconds())
    if skew > tolerance.total_seconds():
        raise SignatureError(f"{header} is too old (more than {limit} s)")
    if -skew > tolerance.total_seconds():
        raise SignatureError(f"{header} is too new (more than {limit} s ahead)")
