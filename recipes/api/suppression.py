"""The workspace's suppression rules: a person matching any of them is never invited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint

from hub.api.spec import BODY, answers, spec
from hub.models import Workspace
from recipes.api.body import parsed
from recipes.engine.saving import save_suppression, workspace
from recipes.engine.schema import SuppressionIn

bp = Blueprint("suppression", __name__)


class SuppressionOut(SuppressionIn):
    id: int
    created_at: datetime
    updated_at: datetime


def render(settings: Workspace) -> dict[str, Any]:
    out = {
        "id": settings.id,
        **settings.suppression,
        "created_at": settings.created_at,
        "updated_at": settings.updated_at,
    }
    return SuppressionOut.model_validate(out).model_dump(mode="json")


@bp.get("/suppression")
@spec.validate(resp=answers(200, SuppressionOut), tags=["suppression"])
def get_suppression() -> dict[str, Any]:
    return render(workspace())


@bp.put("/suppression")
@spec.validate(
    json=SuppressionIn, skip_validation=True, resp=answers(200, SuppressionOut, *BODY), tags=["suppression"]
)
def replace_suppression() -> dict[str, Any]:
    return render(save_suppression(parsed(SuppressionIn)))
