"""Decoding a delivery's JSON so that whatever is decoded can also be stored.

Every door decodes through here, so each hostile class is refused in one place: nesting
deep enough to exhaust recursion, numbers no database holds, and text that is not Unicode
(lone surrogates) or that PostgreSQL refuses (NUL). Text is judged per item, so one bad
item of a batch does not cost its neighbours.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from connectors.sdk.events import PayloadError
from connectors.sdk.parsing import Invalid

MAX_DEPTH = 64
"""Deeper JSON is refused: no sender nests this far, and deep documents only exhaust recursion."""

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL (PostgreSQL text and JSONB refuse it) and lone surrogates (no encoder takes them)."""

RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
"""The only way either can reach decoded text: load_json decodes UTF-8 strictly and json
refuses raw control characters, so a body without these escapes needs no walk at all."""

Check = Callable[[Any, str], None]


def load_json(body: bytes) -> Any:
    """The decoded body, or PayloadError naming why it is not JSON we can hold.

    Strict UTF-8 (json's own decoding would let encoded surrogates through), no NaN or
    Infinity (not JSON, and no database stores them), numbers that fit a float, and at most
    MAX_DEPTH levels of nesting.
    """
    if not body.strip():
        raise PayloadError("the body is empty; expected JSON", field="(body)")
    try:
        value = json.loads(body.decode("utf-8-sig"), parse_constant=_no_constant, parse_float=_finite)
    except UnicodeDecodeError as exc:
        raise PayloadError(f"the body is not UTF-8: {exc.reason}", field="(body)") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"malformed JSON: {exc}", field="(body)") from None
    except RecursionError:
        raise PayloadError(f"nested deeper than {MAX_DEPTH} levels", field="(body)") from None
    except ValueError as exc:  # our hooks, and integers past Python's digit limit
        reason = "an integer has too many digits" if "integer string" in str(exc) else str(exc)
        raise PayloadError(f"unusable JSON: {reason}", field="(body)") from None
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH:  # fewer brackets cannot nest deeper
        _check_depth(value)
    return value


def text_check(body: bytes) -> Check:
    """What each item of this body needs: `require_storable`, or nothing when no escape could
    have put unstorable text in it (the usual case, and a walk per item is not free)."""
    return require_storable if RISKY_ESCAPE.search(body) else _nothing


def require_storable(value: Any, field: str) -> None:
    """Raises Invalid for the first text in `value`, names included, that cannot be stored."""
    if not _clean(value):
        raise Invalid([_first_problem(value, field)])


def _clean(value: Any) -> bool:
    """The quick pass: no field names built (load_json bounds the recursion to MAX_DEPTH)."""
    if isinstance(value, str):
        return not UNSTORABLE.search(value)
    if isinstance(value, dict):
        return all(not UNSTORABLE.search(k) and _clean(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_clean(v) for v in value)
    return True


def _first_problem(value: Any, field: str) -> tuple[str, str]:
    """The slow pass, once something is wrong: where, in document order, the sender's way."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if UNSTORABLE.search(node):
                return path or "(body)", _reason(node)
            continue
        children = (
            node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        )
        found: list[tuple[str, Any]] = []
        for key, child in children:
            name = f"{path}.{_printable(key)}" if path else _printable(key)
            if isinstance(key, str) and UNSTORABLE.search(key):
                return name, "the field name " + _reason(key)
            found.append((name, child))
        stack.extend(reversed(found))
    raise AssertionError("_clean found a problem that _first_problem did not")


def _nothing(value: Any, field: str) -> None:
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def _check_depth(value: Any) -> None:
    """One level at a time, so measuring a deep document needs no recursion either."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(MAX_DEPTH):
        if not level:
            return
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
    if level:
        raise PayloadError(f"nested deeper than {MAX_DEPTH} levels", field="(body)")


def _reason(text: str) -> str:
    if "\x00" in text:
        return "holds a NUL character, which cannot be stored"
    return "holds a lone surrogate, which is not Unicode text"


def _printable(key: str | int) -> str:
    """A field name fit to print back: bad characters escaped, so the answer is valid text itself."""
    if isinstance(key, int):
        return str(key)
    return key.encode("unicode_escape").decode("ascii") if UNSTORABLE.search(key) else key
