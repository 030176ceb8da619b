"""Request validation and the OpenAPI document come from the same pydantic models (spectree).

spectree was chosen because it validates Flask views with pydantic and renders the OpenAPI
document from those very models, without replacing Flask's app or blueprint classes; the
hook below only reshapes its validation errors into the CONTRACT error shape.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request, Response, abort
from pydantic import BaseModel
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from hub.errors import error_response, fields_message, validation_details


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The shape of every 4xx answer, documented where spectree would show its own."""

    error: ErrorInfo


def _reshape(
    req: Request, resp: Response | None, req_error: Any, _instance: Any, _adapter: Any = None
) -> None:
    if req.method in {"POST", "PUT", "PATCH"} and req.get_data(cache=True):
        try:
            json.loads(req.get_data(cache=True))
        except ValueError as exc:
            body, status = error_response(400, "malformed_json", f"malformed JSON: {exc}")
            body.status_code = status
            abort(body)
    if req_error is not None and resp is not None:
        details = validation_details(req_error.errors(include_context=False))
        resp.set_data(
            json.dumps(
                {"error": {"code": "invalid_request", "message": fields_message(details), "details": details}}
            )
        )
        resp.mimetype = "application/json"


spec = SpecTree(
    "flask",
    path="apidoc",
    mode="strict",
    title="journeyhub API",
    version="v1",
    validation_error_status=400,
    validation_error_model=ErrorBody,
    before=_reshape,
    page_templates={},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))
    ],
    security={"bearer": []},
)
