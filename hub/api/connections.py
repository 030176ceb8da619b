"""Connections: create (validated by the connector's declaration) and read, secrets masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response
from sqlalchemy.exc import IntegrityError

from connectors.registry import UnknownConnector
from connectors.sdk import CheckResult, ConfigProblem
from hub.api.pagination import PageQuery, page
from hub.api.spec import spec
from hub.connections import check_connection, create_connection, public_view
from hub.db import db
from hub.errors import ApiError
from hub.models import Connection

bp = Blueprint("connections", __name__)


class ConnectionQuery(PageQuery):
    connector: str | None = None


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connector: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict)


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


def render(connection: Connection) -> dict[str, Any]:
    return ConnectionOut.model_validate(public_view(connection)).model_dump(mode="json")


class ConnectionPage(BaseModel):
    items: list[ConnectionOut]
    next_cursor: str | None


@bp.get("/connections")
@spec.validate(query=ConnectionQuery, resp=Response(HTTP_200=ConnectionPage), tags=["connections"])
def list_connections() -> dict[str, Any]:
    query: ConnectionQuery = request.context.query  # type: ignore[attr-defined]
    stmt = sa.select(Connection)
    if query.connector:
        stmt = stmt.where(Connection.connector == query.connector)
    return page(stmt, Connection.id, query, render)


@bp.get("/connections/<int:connection_id>")
@spec.validate(resp=Response(HTTP_200=ConnectionOut), tags=["connections"])
def get_connection(connection_id: int) -> dict[str, Any]:
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        raise ApiError(404, "not_found", f"no connection {connection_id}")
    return render(connection)


@bp.post("/connections")
@spec.validate(json=ConnectionIn, resp=Response(HTTP_201=ConnectionCreated), tags=["connections"])
def add_connection() -> tuple[dict[str, Any], int]:
    body: ConnectionIn = request.context.json  # type: ignore[attr-defined]
    try:
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


@bp.post("/connections/<int:connection_id>/test")
@spec.validate(resp=Response(HTTP_200=CheckResult), tags=["connections"])
def test_connection(connection_id: int) -> dict[str, Any]:
    """Asks the provider now; when it accepts, a connection that needed attention is resumed."""
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        raise ApiError(404, "not_found", f"no connection {connection_id}")
    result = check_connection(connection)
    db.session.commit()
    return result.model_dump()
