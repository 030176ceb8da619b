"""The API's one way in for request bodies and query text, checked before any view or model sees them.

Every class of hostile input is refused here with the error shape instead of surfacing as a
500 somewhere deeper: a chunked body past the limit (413, not cut short), a body that is not
JSON (415), JSON nested deeper than any resource needs (Python's parser would raise
RecursionError), non-finite numbers (`NaN` cannot be written back as JSON), and text no
database can store (a lone surrogate, a NUL character) in the body or the query string.
"""

from __future__ import annotations

from flask import request

from connectors.sdk import PayloadError
from connectors.sdk.json_body import load_json, require_storable
from connectors.sdk.parsing import Invalid
from hub.errors import ApiError
from hub.inbound.body import read_body


def check_request() -> None:
    """Blueprint guard, after the token check: query text, then the body if there is one."""
    for name, values in request.args.lists():
        if any("\x00" in text for text in (name, *values)):  # werkzeug decodes no lone surrogates here
            message = "must not contain a NUL character"
            raise ApiError(
                400, "invalid_request", f"invalid request: {name}", [{"field": name, "message": message}]
            )
    if not (request.content_length or _chunked()):
        return
    raw = read_body(gzip=False)  # 413 past the limit, also for a chunked body
    if not raw:
        return
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", f"send the body as application/json, not {request.mimetype!r}"
        )
    check_json(raw)


def check_json(raw: bytes) -> None:
    """A 400 that says what is wrong with the body and where, unless it is JSON the API can take.

    The same decoder as every inbound door (connectors.sdk.json_body), so each hostile class
    is refused in one place for the whole hub.
    """
    try:
        require_storable(load_json(raw), "")
    except PayloadError as exc:
        field = exc.field or "(body)"
        raise ApiError(400, "malformed_json", str(exc), [{"field": field, "message": str(exc)}]) from None
    except Invalid as exc:
        details = [{"field": field, "message": message} for field, message in exc.problems]
        raise ApiError(400, "invalid_request", f"invalid request: {details[0]['field']}", details) from None


def _chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()
