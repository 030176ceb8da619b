"""`create_app()`: everything is attached here, nothing happens at import time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

import admin
from hub import api, db, errors, health, home, secrets
from hub.config import Settings, load_settings
from hub.inbound import hooks, tracking
from hub.outbound.scrub import install_on_root_handlers
from hub.runtime import jobs


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """`config` overrides the environment (keys are the variable names of CONTRACT.md)."""
    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask("hub", instance_path=str(settings.home), instance_relative_config=False)
    app.config["JOURNEYHUB"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.journeyhub_max_body_bytes
    app.config["JSON_SORT_KEYS"] = False
    install_on_root_handlers(settings.journeyhub_log_level)

    key = settings.fernet_key()
    app.secret_key = secrets.derived_key(key, purpose="flask session")
    secrets.init_app(app, key)
    db.init_app(app, settings)
    jobs.init_app(app, settings.redis_url)
    errors.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(tracking.bp)
    api.init_app(app)
    admin.init_app(app)  # the hub's one import of `admin` (see [tool.importlinter])
    return app
