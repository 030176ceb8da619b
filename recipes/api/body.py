"""Reading an automation body with paths a person can follow: `conditions.all[1].op`.

spectree documents these bodies but leaves validating them to `parsed()`, because its error
paths are dotted (`all.1.op`) and carry the union tags of the condition tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from hub.errors import ApiError
from recipes.engine.problems import Problem

M = TypeVar("M", bound=BaseModel)


def field_path(loc: Sequence[int | str], kind: str = "") -> str:
    """(`conditions`, `<all>`, `all`, 1, `<rule>`, `op`) reads `conditions.all[1].op`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _union_member(part):
            path += f".{part}" if path else part
    if kind in _NAMED_BY:
        path += f".{_NAMED_BY[kind]}" if path else _NAMED_BY[kind]
    return path or "(body)"


def _union_member(part: str) -> bool:
    """Names pydantic gives union members: `<eq>`, `EveryDays`, `literal['once']`, `constrained-str`."""
    return part[:1] == "<" or part[:1].isupper() or "[" in part or "-" in part or part in _TYPE_NAMES


_NAMED_BY = {"unknown_trigger": "type", "unknown_op": "op"}
"""The key that picks the kind of a union member: an unknown value is that key's fault."""
_TYPE_NAMES = {"str", "int", "float", "bool", "none", "list", "dict"}


def parsed(model: type[M]) -> M:
    """The body as `model`, or a 400 naming every field at fault."""
    try:
        return model.model_validate(request.get_json(silent=True))
    except ValidationError as exc:
        details = [
            {"field": field_path(err["loc"], err["type"]), "message": err["msg"]}
            for err in exc.errors(include_url=False, include_context=False)
        ]
        message = f"invalid request: {', '.join(dict.fromkeys(d['field'] for d in details))}"
        raise ApiError(400, "invalid_request", message, details) from None


def refused(problem: Problem) -> ApiError:
    details: Any = [{"field": problem.field, "message": str(problem)}]
    return ApiError(problem.status, problem.code, f"{problem.field}: {problem}", details)
