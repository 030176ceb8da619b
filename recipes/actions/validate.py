"""Checking a recipe's result actions when it is saved, so a wrong one is a 400 then, not a dead row later.

Each action's connection must exist and its connector perform the operation; each field's
template must compile in the sandbox and name only `finding`, `result` and `profile`; and
where the destination's API lists its writable fields (HubSpot properties, Salesforce
describe, Jira fields), each field name must be one of them. That list is asked of the
provider now: a provider that fails to answer is a provider error (409 for settings it
refuses, 502/503 when it is down or busy), never a 500 and never a silent pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.registry import UnknownConnector, get_connector
from connectors.sdk import Capability
from connectors.sdk.actions import Destination
from hub.api.providers import provider_error
from hub.connections import settings
from hub.db import db
from hub.models import Connection
from hub.outbound import HttpError, RetryStats, outbound_scope
from hub.secrets import SecretsError
from recipes.engine.problems import Problem
from recipes.engine.schema import Action
from recipes.engine.templates import ACTION_VARIABLES, JOURNEY_ACTION_VARIABLES, template_problem

PERSON_OPERATIONS = frozenset({"update_fields", "track"})
"""Operations that act on a person, so only on a result (a finding has many people)."""


def check_actions(actions: Sequence[Action]) -> None:
    """Problem naming the first action path at fault; ApiError when a provider fails to list fields."""
    for index, action in enumerate(actions):
        at = f"actions[{index}]"
        connection = db.session.get(Connection, action.connection_id)
        if connection is None:
            raise Problem(
                "unknown_connection", f"{at}.connection_id", f"no connection {action.connection_id}"
            )
        destination = _destination(connection, f"{at}.connection_id")
        if action.operation not in destination.operations:
            does = ", ".join(sorted(destination.operations))
            message = f"a {connection.connector} connection cannot {action.operation} (it can: {does})"
            raise Problem("wrong_connection", f"{at}.operation", message)
        if action.operation in PERSON_OPERATIONS and action.on != "result":
            about = "a journey change" if action.on == "journey_changed" else "a finding"
            message = f"{action.operation} acts on one person, so it runs on a result, not on {about}"
            raise Problem("invalid_action", f"{at}.on", message)
        variables = JOURNEY_ACTION_VARIABLES if action.on == "journey_changed" else ACTION_VARIABLES
        for name, text in action.fields.items():
            problem = template_problem(text, variables)
            if problem:
                raise Problem("invalid_template", f"{at}.fields.{name}", problem)
        _check_field_names(connection, destination, action, at)


def _destination(connection: Connection, field: str) -> Destination:
    try:
        connector = get_connector(connection.connector)
    except UnknownConnector as exc:
        raise Problem("wrong_connection", field, str(exc)) from None
    if connector.actions is None or Capability.ACTIONS not in connector.spec.capabilities:
        message = f"connection {connection.id} is a {connection.connector} connection, which takes no result actions"
        raise Problem("wrong_connection", field, message)
    return connector.actions


def _check_field_names(connection: Connection, destination: Destination, action: Action, at: str) -> None:
    if not action.fields:
        return
    try:
        config = settings(connection)
    except SecretsError as exc:
        raise Problem(
            "wrong_connection", f"{at}.connection_id", f"its settings cannot be read: {exc}"
        ) from None
    stats = RetryStats()
    try:
        with outbound_scope(stats):
            known = destination.fields(config, action.operation)
    except HttpError as exc:
        secrets = [
            str(v)
            for k, v in config.items()
            if k in get_connector(connection.connector).spec.secret_fields and v
        ]
        raise provider_error(exc, secrets, stats) from None
    if known is None:
        return
    for name in action.fields:
        if name not in known:
            listed = ", ".join(sorted(known)[:30]) + (" …" if len(known) > 30 else "")
            message = f"{connection.connector} has no field {name!r} it can write for {action.operation} (it has: {listed})"
            raise Problem("unknown_field", f"{at}.fields.{name}", message)
