"""The HTTP side shared by every way events come in: bounded body reading and the answer.

Both /hooks and /v1 answer 2xx only after `ingest` committed, and answer the same figures,
so a sender's developer reads one shape whatever door they used.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict
from typing import Any

from flask import current_app, request

from connectors.base import Parsed, Rejected
from hub.db import db
from hub.errors import ApiError
from hub.ingest import ingest


def read_body(*, gzip: bool) -> bytes:
    """The raw body, at most MAX_CONTENT_LENGTH bytes, also when chunked or once gunzipped."""
    limit: int = current_app.config["MAX_CONTENT_LENGTH"]
    raw = request.get_data(cache=True)  # werkzeug answers 413 past a declared Content-Length limit
    if request.content_length is None and len(raw) >= limit:
        # a chunked body is cut at the limit without a word; reaching it means there was more
        raise ApiError(413, "request_entity_too_large", f"the body is larger than {limit} bytes")
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in {"", "identity"}:
        return raw
    if encoding != "gzip" or not gzip:
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r} is not accepted here")
    return _gunzip(raw, limit)


def _gunzip(raw: bytes, limit: int) -> bytes:
    out = bytearray()
    rest = raw
    while rest:
        member = zlib.decompressobj(wbits=31)
        try:
            out += member.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise ApiError(400, "malformed_gzip", f"the gzip body cannot be decompressed: {exc}") from None
        if len(out) > limit or member.unconsumed_tail:
            raise ApiError(
                413, "request_entity_too_large", f"the decompressed body is larger than {limit} bytes"
            )
        if not member.eof:
            raise ApiError(400, "malformed_gzip", "the gzip body is truncated")
        rest = member.unused_data
    return bytes(out)


def accept(connection_id: int, parsed: Parsed) -> dict[str, Any]:
    """Stores what is usable and says what was not; 400 with the list when nothing is usable."""
    rejected = [asdict(r) for r in parsed.rejected]
    if not parsed.events and not parsed.ignored:
        if not rejected:
            raise ApiError(400, "no_events", "the body holds no events")
        fields = ", ".join(dict.fromkeys(str(r["field"]) for r in rejected))
        raise ApiError(400, "invalid_events", f"no event is valid: {fields}", rejected)
    stored = ingest(db.session, connection_id, parsed.events) if parsed.events else None
    return {
        "accepted": len(stored.event_ids) if stored else 0,
        "duplicates": stored.duplicates if stored else 0,
        "rejected": rejected,
        "ignored": _notes(parsed.ignored),
        "warnings": _notes(parsed.warnings),
    }


def _notes(items: list[Rejected]) -> list[dict[str, Any]]:
    return [asdict(item) for item in items]
