"""Reading a request body within the size limit, also when it is chunked or gzip-compressed.

A declared Content-Length over the limit is refused by werkzeug before we read a byte; a
chunked body or a gzip bomb is caught here, so every door answers 413 the same way.
"""

from __future__ import annotations

import zlib

from flask import current_app, request

from hub.errors import ApiError


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
