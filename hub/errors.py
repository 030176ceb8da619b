"""The one error shape of every JSON endpoint: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

JSON_PREFIXES = ("/api/", "/hooks/", "/v1/")


class ApiError(Exception):
    """A 4xx (or a provider's 502/503) in the one error shape; `headers` ride along (Retry-After, challenges)."""

    def __init__(
        self, status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details: Any = None) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, "details": details}}), status


def _http_error(exc: HTTPException) -> Any:
    if not request.path.startswith(JSON_PREFIXES):
        return exc
    code = (exc.name or "error").lower().replace(" ", "_")
    response, status = error_response(exc.code or 500, code, exc.description or exc.name)
    for header in ("WWW-Authenticate", "Allow", "Retry-After"):
        if exc.get_response().headers.get(header):
            response.headers[header] = exc.get_response().headers[header]
    return response, status


def _api_error(exc: ApiError) -> tuple[Response, int]:
    response, status = error_response(exc.status, exc.code, exc.message, exc.details)
    response.headers.update(exc.headers)
    return response, status


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors as `{field, message}` with dotted field paths a person can read."""
    return [
        {
            "field": ".".join(str(p) for p in err.get("loc", ())) or "(body)",
            "message": err.get("msg", "invalid"),
        }
        for err in errors
    ]


def fields_message(details: list[dict[str, Any]]) -> str:
    named = ", ".join(sorted({d["field"] for d in details}))
    return f"invalid request: {named}" if named else "invalid request"
