"""What `GET /_fake/requests` shows of each request a fake received: never its credentials."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request

RECORD_PATH = "/_fake/requests"
_SECRET_NAME = re.compile(r"(?i)token|secret|password|api[_-]?key|hapikey|authorization|signature")


def record(request: Request) -> dict[str, Any]:
    """What `GET /_fake/requests` shows of one request: never its credentials."""
    body: Any = None
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            body = None
    elif request.form:
        body = request.form.to_dict()
    query = {k: v[0] if len(v) == 1 else v for k, v in request.args.lists()}
    return {
        "method": request.method,
        "path": request.path,
        "query": _without_secrets(query),
        "json": _without_secrets(body),
    }


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if not _SECRET_NAME.search(str(k))}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value
