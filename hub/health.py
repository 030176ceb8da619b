"""Liveness and readiness: /readyz names the dependency that is failing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app

from hub.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    failing: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        failing["database"] = type(exc).__name__
    redis = getattr(current_app.extensions["journeyhub.jobs"], "redis", None)
    if redis is not None:
        try:
            redis.ping()
        except Exception as exc:  # any client failure means not ready
            failing["redis"] = type(exc).__name__
    if failing:
        names = ", ".join(failing)
        return {
            "status": "unavailable",
            "failing": sorted(failing),
            "message": f"not ready: {names}",
            "details": failing,
        }, 503
    return {"status": "ok"}, 200
