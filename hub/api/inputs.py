"""The API's one way in for request bodies and query text, checked before any view or model sees them.

Every class of hostile input is refused here with the error shape instead of surfacing as a
500 somewhere deeper: a chunked body past the limit (413, not cut short), a body that is not
JSON (415), JSON nested deeper than any resource needs (Python's parser would raise
RecursionError), non-finite numbers (`NaN` cannot be written back as JSON), and text no
database can store (a lone surrogate, a NUL character) in the body or the query string.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import request

from hub.errors import ApiError
from hub.inbound.body import read_body

MAX_DEPTH = 32
"""Far deeper than any resource's shape; connector settings and filters nest a few levels."""
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_request() -> None:
    """Blueprint guard, after the token check: query text, then the body if there is one."""
    for name, values in request.args.lists():
        for text in (name, *values):
            if _UNSTORABLE.search(text):
                raise _invalid(name, _text_problem(text))
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
    """A 400 that says what is wrong with the body and where, unless it is JSON the API can take."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise _invalid("(body)", f"is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"malformed JSON: {exc}") from None
    problem = _first_problem(value)
    if problem is not None:
        raise _invalid(*problem)


def _chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large for a number")
    return number


def _first_problem(value: Any) -> tuple[str, str] | None:
    """Walks the document without recursion: (field, message) of the first thing refused."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return _field(path), f"is nested deeper than {MAX_DEPTH} levels"
        if isinstance(node, str) and _UNSTORABLE.search(node):
            return _field(path), _text_problem(node)
        if isinstance(node, dict):
            for key, item in node.items():
                if _UNSTORABLE.search(key):
                    return _field((*path, key)), "the name " + _text_problem(key)
                stack.append((item, (*path, key)))
        elif isinstance(node, list):
            stack.extend((item, (*path, str(index))) for index, item in enumerate(node))
    return None


def _text_problem(text: str) -> str:
    if "\x00" in text:
        return "must not contain a NUL character"
    return "must be valid Unicode text (it holds a lone surrogate, such as \\ud800)"


def _field(path: tuple[str, ...]) -> str:
    return ".".join(path) or "(body)"


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(
        400, "invalid_request", f"invalid request: {field}", [{"field": field, "message": message}]
    )
