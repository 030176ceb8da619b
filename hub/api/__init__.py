"""The JSON API under /api/v1: bearer-token guarded, one error shape, cursor pagination.

Each resource is a blueprint of its own module; they are nested under one `/api/v1`
blueprint whose guards run before every one of them: the token, then the request's query
text and body (hub.api.inputs), so no view sees input the database could not take.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from hub.api import cohorts, connections, events, outbox, profiles, runs
from hub.api.auth import require_token
from hub.api.common import IdConverter
from hub.api.inputs import check_request
from hub.api.spec import spec

RESOURCES = (cohorts.bp, connections.bp, events.bp, outbox.bp, profiles.bp, runs.bp)


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.before_request(require_token)
    api.before_request(check_request)
    # Imported here: the recipes' API modules use hub.api's helpers, which load this package first.
    from recipes.registry import BLUEPRINTS as AUTOMATION
    from recipes.registry import PAGES

    for resource in (*RESOURCES, *AUTOMATION):
        api.register_blueprint(resource)
    app.register_blueprint(api)
    for public in PAGES:  # the invite and unsubscribe links: outside the API, no token
        app.register_blueprint(public)
    spec.register(app)
    app.add_url_rule("/api/v1/openapi.json", "openapi_document", lambda: spec.spec)
