"""What the recipe builder offers in its pickers, read from what the hub has seen so far.

Every list is read from a bounded sample (the newest events and profiles), never a whole
table: the pickers propose, and anything new can still be typed (the pickers are datalists).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from connectors.registry import UnknownConnector, get_connector
from connectors.sdk import Capability
from hub.db import db
from hub.models import Campaign, Cohort, Connection, Event, Profile
from recipes.engine.rules import OPS

SAMPLE = 2000
"""The newest events and profiles whose names and keys are offered."""
LISTED = 200
"""Cohorts, campaigns and destinations offered: a workspace has a handful."""


def options() -> dict[str, Any]:
    return {
        "events": _event_names(),
        "fields": _fields(),
        "cohorts": [
            {"id": c.id, "name": f"{c.name} ({connection})"}
            for c, connection in db.session.execute(
                sa.select(Cohort, Connection.name)
                .join(Connection, Connection.id == Cohort.connection_id)
                .order_by(Cohort.id)
                .limit(LISTED)
            )
        ],
        "campaigns": [
            {"id": c.id, "name": c.name}
            for c in db.session.scalars(sa.select(Campaign).order_by(Campaign.id).limit(LISTED))
        ],
        "destinations": _destinations(),
        "ops": list(OPS),
    }


def _event_names() -> list[str]:
    newest = sa.select(Event.name).order_by(Event.id.desc()).limit(SAMPLE).subquery()
    return sorted(db.session.scalars(sa.select(newest.c.name).distinct()))


def trait_fields() -> list[str]:
    """`traits.<name>` of the newest profiles: what a funnel can be segmented by."""
    traits = db.session.scalars(sa.select(Profile.traits).order_by(Profile.id.desc()).limit(SAMPLE))
    return sorted({f"traits.{key}" for row in traits for key in (row or {})})


def _fields() -> list[str]:
    properties = db.session.scalars(sa.select(Event.properties).order_by(Event.id.desc()).limit(SAMPLE))
    names = {f"properties.{key}" for row in properties for key in (row or {})}
    return sorted(names) + trait_fields()


def _destinations() -> list[dict[str, Any]]:
    """Connections that take result actions, each with the operations its connector performs."""
    found = []
    for connection in db.session.scalars(sa.select(Connection).order_by(Connection.id).limit(LISTED)):
        try:
            connector = get_connector(connection.connector)
        except UnknownConnector:
            continue
        if connector.actions is None or Capability.ACTIONS not in connector.spec.capabilities:
            continue
        operations = sorted(connector.actions.operations)
        found.append(
            {
                "id": connection.id,
                "name": f"{connection.name} ({connection.connector})",
                "operations": operations,
            }
        )
    return found
