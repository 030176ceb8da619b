"""What a fake's route handlers use: reading a request, answering in JSON, refusing in the
provider's own dialect (`ApiError`, which FakeServer turns into the provider's error response)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response


class ApiError(Exception):
    """Raised by handlers to answer in the provider's own error dialect."""

    def __init__(self, status: int, message: str | None = None, code: str | None = None) -> None:
        super().__init__(message or str(status))
        self.status, self.message, self.code = status, message, code


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":")),
        status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )


def read_json(request: Request) -> Any:
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError as exc:
        raise ApiError(400, f"Invalid JSON body: {exc}", "invalid_json") from exc


def basic_matches(request: Request, username: str, password: str) -> bool:
    """HTTP Basic with these credentials, compared in constant time (Mixpanel, Amplitude)."""
    auth = request.authorization
    return (
        auth is not None
        and auth.type == "basic"
        and hmac.compare_digest(str(auth.username or ""), username)
        and hmac.compare_digest(str(auth.password or ""), password)
    )


def numeric_index(member_id: str, base: int, exists: Callable[[int], bool]) -> int:
    """Inverse of `str(base + index)`, the id scheme of providers with numeric record ids."""
    if not member_id.isdigit() or not exists(int(member_id) - base):
        raise KeyError(member_id)
    return int(member_id) - base


def as_int(value: Any, name: str) -> int:
    """A numeric request parameter, or the provider's 400 instead of a crash."""
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"{name} must be an integer, got {value!r}") from exc
