"""Request validation and the OpenAPI document come from the same pydantic models (spectree).

spectree was chosen because it validates Flask views with pydantic and renders the OpenAPI
document from those very models, without replacing Flask's app or blueprint classes. Three
small additions make the document tell the truth: `answers()` declares every status an
operation can give (each error in the CONTRACT shape), `<id:...>` path parameters are
documented as the int64 range the converter enforces, and a generic page is named after its
items (`Page[RunOut]` is `RunPage`). The hook below reshapes validation errors into the
CONTRACT error shape.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request, Response
from pydantic import BaseModel
from spectree import Response as Answers
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from spectree.plugins.flask_plugin import FlaskPlugin
from spectree.plugins.werkzeug_utils import werkzeug_parse_rule

from hub.api.common import ID_SCHEMA
from hub.errors import fields_message, validation_details

GUARDED = (400, 401)
"""Every operation validates its input and sits behind the token guard."""
BODY = (413, 415)
"""An operation that takes a JSON body: too large, or not JSON."""
BY_ID = (404,)
"""An operation on one row named in the path."""


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The shape of every error answer, documented for each status an operation gives."""

    error: ErrorInfo


def answers(status: int, model: type[BaseModel], *errors: int) -> Answers:
    """The answers of one operation: `status` with `model`, each error status with the error shape."""
    declared = {f"HTTP_{code}": ErrorBody for code in sorted({*GUARDED, *errors})}
    return Answers(**{f"HTTP_{status}": model}, **declared)


class _FlaskWithIds(FlaskPlugin):
    """spectree documents werkzeug's `int` converter as int32; ours is `id`, a positive int64."""

    def parse_path(self, route: Any, descriptions: Any) -> tuple[str, list[dict[str, Any]]]:
        path, parameters = super().parse_path(route, descriptions)
        ids = {variable for converter, _, variable in werkzeug_parse_rule(str(route)) if converter == "id"}
        for parameter in parameters:
            if parameter["name"] in ids:
                parameter["schema"] = dict(ID_SCHEMA)
        return path, parameters


def schema_name(model: Any) -> str:
    generic = getattr(model, "__pydantic_generic_metadata__", None)
    if generic and generic["origin"] is not None:
        items = "".join(arg.__name__.removesuffix("Out") for arg in generic["args"])
        return f"{items}{generic['origin'].__name__}"
    return str(model.__name__)


def _reshape(
    req: Request, resp: Response | None, req_error: Any, _instance: Any, _adapter: Any = None
) -> None:
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
    backend=_FlaskWithIds,
    path="apidoc",
    mode="strict",
    title="journeyhub API",
    version="v1",
    validation_error_status=400,
    validation_error_model=ErrorBody,
    before=_reshape,
    page_templates={},
    naming_strategy=schema_name,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))
    ],
    security={"bearer": []},
)
