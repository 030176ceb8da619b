"""Connections: create (validated by the connector's declaration), read with secrets masked, and
list the cohorts a source offers, asked of the provider now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from connectors.registry import UnknownConnector, get_connector
from connectors.sdk import Capability, CheckResult, ConfigProblem
from hub.api.common import Page, Text, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.providers import provider_error
from hub.api.settings import check_settings, connection_in_schema
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.connections import check_connection, create_connection, public_view, settings
from hub.db import db
from hub.errors import ApiError
from hub.models import Connection
from hub.outbound import HttpError, RetryStats, outbound_scope

bp = Blueprint("connections", __name__)


class ConnectionQuery(PageQuery):
    connector: Text | None = Field(default=None, max_length=50)


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=connection_in_schema)

    connector: str = Field(min_length=1, max_length=50)
    name: Text = Field(min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict, description="as the connector declares them")


class ConnectionOut(BaseModel):
    id: int
    connector: str
    name: str
    status: str
    last_error: str | None
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ConnectionCreated(ConnectionOut):
    generated: dict[str, Any] = Field(
        default_factory=dict,
        description="keys the connector made (write key, webhook secret), shown this once",
    )


class SourceCohortOut(BaseModel):
    source_ref: str = Field(description="what POST /api/v1/cohorts takes as source_ref")
    name: str
    size: int | None = Field(description="members, when the provider says")


class NoQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")


def render(connection: Connection) -> dict[str, Any]:
    return ConnectionOut.model_validate(public_view(connection)).model_dump(mode="json")


@bp.get("/connections")
@spec.validate(query=ConnectionQuery, resp=answers(200, Page[ConnectionOut]), tags=["connections"])
def list_connections() -> dict[str, Any]:
    query: ConnectionQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Connection)
    if query.connector:
        stmt = stmt.where(Connection.connector == query.connector)
    return page(stmt, Connection.id, query, render)


@bp.get("/connections/<id:connection_id>")
@spec.validate(resp=answers(200, ConnectionOut, *BY_ID), tags=["connections"])
def get_connection(connection_id: int) -> dict[str, Any]:
    return render(get_or_404(Connection, connection_id))


@bp.post("/connections")
@spec.validate(json=ConnectionIn, resp=answers(201, ConnectionCreated, 409, *BODY), tags=["connections"])
def add_connection() -> tuple[dict[str, Any], int]:
    body: ConnectionIn = request.context.json  # type: ignore[attr-defined]
    try:
        check_settings(body.connector, body.settings)
        created = create_connection(body.connector, body.name, body.settings)
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "conflict", f"a {body.connector} connection named {body.name!r} exists") from None
    except UnknownConnector as exc:
        raise ApiError(
            400, "unknown_connector", str(exc), [{"field": "connector", "message": str(exc)}]
        ) from None
    except ConfigProblem as exc:
        details = [{"field": f"settings.{k}", "message": v} for k, v in exc.problems.items()]
        raise ApiError(400, "invalid_settings", f"invalid settings: {exc}", details) from None
    db.session.commit()
    return {**render(created.connection), "generated": created.generated}, 201


@bp.post("/connections/<id:connection_id>/test")
@spec.validate(resp=answers(200, CheckResult, *BY_ID), tags=["connections"])
def test_connection(connection_id: int) -> dict[str, Any]:
    """Asks the provider now; when it accepts, a connection that needed attention is resumed."""
    result = check_connection(get_or_404(Connection, connection_id))
    db.session.commit()
    return result.model_dump()


@bp.get("/connections/<id:connection_id>/cohorts")
@spec.validate(
    query=NoQuery,
    resp=answers(200, Page[SourceCohortOut], 409, 502, 503, *BY_ID),
    tags=["connections"],
)
def list_source_cohorts(connection_id: int) -> dict[str, Any]:
    """The lists / segments / cohorts this source offers to sync, asked of the provider now (one page)."""
    connection = get_or_404(Connection, connection_id)
    connector = get_connector(connection.connector)
    if Capability.SOURCE not in connector.spec.capabilities or connector.source is None:
        message = f"{connection.connector} connections cannot provide cohorts"
        raise ApiError(400, "not_a_source", message, [{"field": "connection_id", "message": message}])
    config = settings(connection)
    stats = RetryStats()
    try:
        with outbound_scope(stats):
            found = connector.source.cohorts(config)
    except HttpError as exc:
        secrets = [str(v) for k, v in config.items() if k in connector.spec.secret_fields and v]
        raise provider_error(exc, secrets, stats) from None
    items = [SourceCohortOut(source_ref=c.source_ref, name=c.name, size=c.size) for c in found]
    return {"items": [item.model_dump() for item in items], "next_cursor": None}
