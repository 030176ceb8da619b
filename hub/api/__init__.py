"""The JSON API under /api/v1: bearer-token guarded, one error shape, cursor pagination."""

from __future__ import annotations

from flask import Blueprint, Flask

from hub.api.auth import require_token
from hub.api.spec import spec

api = Blueprint("api", __name__, url_prefix="/api/v1")
api.before_request(require_token)


def init_app(app: Flask) -> None:
    from hub.api import cohorts, connections, events, profiles, runs  # noqa: F401 - registers the routes on `api`

    app.register_blueprint(api)
    spec.register(app)
    app.add_url_rule("/api/v1/openapi.json", "openapi_document", lambda: spec.spec)
