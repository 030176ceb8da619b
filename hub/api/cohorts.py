"""Cohorts: create one on a source connection, read them, and ask for a sync now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from hub.api.common import Id, Page, Text, fits, get_or_404, matching
from hub.api.pagination import PageQuery, page
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.cohorts.service import CohortProblem, create_cohort, request_sync
from hub.db import db, utcnow
from hub.errors import ApiError
from hub.models import Cohort, Connection

bp = Blueprint("cohorts", __name__)


class CohortQuery(PageQuery):
    connection_id: Id | None = None


class CohortIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: Id
    source_ref: Text = Field(
        min_length=1, max_length=2000, description="the provider's list / campaign / segment id or query"
    )
    name: Text = Field(min_length=1, max_length=200)
    interval_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)


class CohortOut(BaseModel):
    id: int
    connection_id: Id
    source_ref: str
    name: str
    interval_minutes: int
    status: str
    last_error: str | None
    member_count: int
    syncing: bool
    next_sync_at: datetime | None
    last_synced_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SyncRequested(BaseModel):
    cohort_id: int
    run_id: int
    run_status: str
    job_id: str


def render(cohort: Cohort) -> dict[str, Any]:
    syncing = cohort.lease_until is not None and cohort.lease_until > utcnow()
    out = CohortOut.model_validate({**_columns(cohort), "syncing": syncing})
    return out.model_dump(mode="json")


def _columns(cohort: Cohort) -> dict[str, Any]:
    return {column.key: getattr(cohort, column.key) for column in sa.inspect(Cohort).columns}


@bp.get("/cohorts")
@spec.validate(query=CohortQuery, resp=answers(200, Page[CohortOut]), tags=["cohorts"])
def list_cohorts() -> dict[str, Any]:
    query: CohortQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Cohort)
    if query.connection_id is not None:
        stmt = stmt.where(matching(Cohort.connection_id, query.connection_id))
    return page(stmt, Cohort.id, query, render)


@bp.get("/cohorts/<id:cohort_id>")
@spec.validate(resp=answers(200, CohortOut, *BY_ID), tags=["cohorts"])
def get_cohort(cohort_id: int) -> dict[str, Any]:
    return render(get_or_404(Cohort, cohort_id))


@bp.post("/cohorts")
@spec.validate(json=CohortIn, resp=answers(201, CohortOut, 409, *BODY), tags=["cohorts"])
def add_cohort() -> tuple[dict[str, Any], int]:
    body: CohortIn = request.context.json  # type: ignore[attr-defined]
    try:
        if not fits(Connection.id, body.connection_id):
            raise CohortProblem("unknown_connection", f"no connection {body.connection_id}", "connection_id")
        cohort = create_cohort(body.connection_id, body.source_ref, body.name, body.interval_minutes)
        db.session.commit()
    except CohortProblem as exc:
        raise ApiError(400, exc.code, str(exc), [{"field": exc.field, "message": str(exc)}]) from None
    except IntegrityError:
        db.session.rollback()
        raise ApiError(
            409, "conflict", "this connection already syncs a cohort with that source_ref"
        ) from None
    return render(cohort), 201


@bp.post("/cohorts/<id:cohort_id>/sync")
@spec.validate(resp=answers(202, SyncRequested, 409, *BY_ID), tags=["cohorts"])
def sync_cohort_now(cohort_id: int) -> tuple[dict[str, Any], int]:
    cohort = get_or_404(Cohort, cohort_id)
    try:
        requested = request_sync(cohort)
    except CohortProblem as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    body = SyncRequested(
        cohort_id=cohort.id, run_id=requested.run_id, run_status=requested.run_status, job_id=requested.job_id
    )
    return body.model_dump(), 202
