"""The workspace's automation defaults: its time zone and the cap across campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint

from hub.api.spec import BODY, answers, spec
from hub.models import Workspace
from recipes.api.body import parsed
from recipes.engine.saving import save_workspace, workspace
from recipes.engine.schema import WorkspaceIn

bp = Blueprint("workspace", __name__)


class WorkspaceOut(WorkspaceIn):
    id: int
    created_at: datetime
    updated_at: datetime


def render(settings: Workspace) -> dict[str, Any]:
    out = {
        "id": settings.id,
        "timezone": settings.timezone,
        "per_person_days": settings.per_person_days,
        "created_at": settings.created_at,
        "updated_at": settings.updated_at,
    }
    return WorkspaceOut.model_validate(out).model_dump(mode="json")


@bp.get("/workspace")
@spec.validate(resp=answers(200, WorkspaceOut), tags=["workspace"])
def get_workspace() -> dict[str, Any]:
    return render(workspace())


@bp.put("/workspace")
@spec.validate(
    json=WorkspaceIn, skip_validation=True, resp=answers(200, WorkspaceOut, *BODY), tags=["workspace"]
)
def replace_workspace() -> dict[str, Any]:
    return render(save_workspace(parsed(WorkspaceIn)))
