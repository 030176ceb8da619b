"""Runs: what each job did, with its steps and progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel

from hub.api.common import Page, Text, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.spec import BY_ID, answers, spec
from hub.models import Run

bp = Blueprint("runs", __name__)


class RunQuery(PageQuery):
    kind: Text | None = None
    subject: Text | None = None
    status: Text | None = None


class RunStepOut(BaseModel):
    name: str
    status: str
    started_at: datetime
    duration_ms: int | None
    detail: dict[str, Any]
    error: str | None


class RunOut(BaseModel):
    id: int
    kind: str
    subject: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    stats: dict[str, Any]
    error: str | None
    steps: list[RunStepOut] | None = None


def render(run: Run, *, with_steps: bool = False) -> dict[str, Any]:
    out = RunOut.model_validate(run, from_attributes=True).model_dump(mode="json", exclude={"steps"})
    if with_steps:
        out["steps"] = [
            RunStepOut.model_validate(s, from_attributes=True).model_dump(mode="json") for s in run.steps
        ]
    return out


@bp.get("/runs")
@spec.validate(query=RunQuery, resp=answers(200, Page[RunOut]), tags=["runs"])
def list_runs() -> dict[str, Any]:
    query: RunQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Run)
    for column in ("kind", "subject", "status"):
        if (value := getattr(query, column)) is not None:
            stmt = stmt.where(getattr(Run, column) == value)
    return page(stmt, Run.id, query, render)


@bp.get("/runs/<id:run_id>")
@spec.validate(resp=answers(200, RunOut, *BY_ID), tags=["runs"])
def get_run(run_id: int) -> dict[str, Any]:
    return render(get_or_404(Run, run_id), with_steps=True)
