"""The outbox handler of result actions: claimed rows grouped by connection and operation, each
group sent in the destination's batches, every row answered on its own.

Per claimed batch: the connections (settings decrypted once each), the people the actions are
about, and the earlier actions of the same findings (one query each). A group of
(connection, operation) is cut into chunks of the destination's `batch_size`, one `Together`
(one request) each (the worker claims more of a target's rows to fill its batches, `wanted`);
a paced destination takes its group one action at a time, in row order,
each waiting for the slot `hub.outbox.pacing` reserves, so a burst arrives in order rather
than refused. An action tried before (a `create_issue` above all) is looked up by its marker
first and not performed again when found. A `comment` is threaded to the issue its finding's earlier action created
on the same connection (`threads`); with none, it is performed as a `create_issue`.

Retries, Retry-After, the dead letter and replay are the outbox's: a Done is `sent`, a
Rejected that may pass later is retried, one that cannot is `failed` at once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.registry import UnknownConnector, get_connector
from connectors.sdk.actions import Action, Destination, Done, Rejected, Respondent
from hub.connections import settings
from hub.models import Connection, Identity, Profile
from hub.outbox.outcomes import classify
from hub.outbox.pacing import reserve
from hub.outbox.types import Item, Outcome, Refused, Retry, Send, Sent, Settled, Together
from hub.secrets import SecretsError
from recipes.actions.render import to_action
from recipes.actions.threads import Threads

MAX_PACE_WAIT_S = 30.0
"""Longest wait for a paced slot within a send; a later slot is left and the row retried then."""
PACED_BUDGET_S = 120.0
"""How long one paced group may keep its send; the rest is retried at once, well within the lease."""
Members = list[tuple[Item, Action]]


@dataclass(frozen=True)
class Route:
    """Where a connection's actions go: its destination and its settings, read once per batch."""

    connection_id: int
    connector: str
    destination: Destination
    config: dict[str, Any]


class ActionHandler:
    def prepare(self, session: Session, items: Sequence[Item]) -> Mapping[int, Send | Together | Outcome]:
        routes = _routes(session, {int(item.payload.get("connection_id", 0)) for item in items})
        people = _people(session, {int(p) for item in items if (p := item.payload.get("profile_id"))})
        threads = Threads(session, items)
        prepared: dict[int, Send | Together | Outcome] = {}
        groups: dict[tuple[int, str, str], tuple[Route, Members]] = {}
        for item in items:
            found = _action(item, routes, people, threads)
            if isinstance(found, tuple):
                route, action = found
                group = (route.connection_id, action.operation, _scope(route, action))
                groups.setdefault(group, (route, []))[1].append((item, action))
            else:
                prepared[item.id] = found
        for (_connection, _operation, scope), (route, members) in groups.items():
            for together, chunk in _togethers(route, scope, members):
                prepared |= {item.id: together for item, _ in chunk}
        session.commit()  # ends the read; pacing writes through its own connection while sending
        return prepared

    def wanted(self, items: Sequence[Item]) -> Mapping[str, int]:
        """Rows that would fill the last batch of each batched target (HubSpot 100, Mixpanel 2,000)."""
        counts = Counter(item.target for item in items)
        short: dict[str, int] = {}
        for target, count in counts.items():
            try:
                destination = get_connector(target.split(":", 1)[0]).actions
            except UnknownConnector:
                continue
            if destination is None or destination.pace is not None or destination.batch_size <= 1:
                continue
            if missing := -count % destination.batch_size:
                short[target] = missing
        return short

    def settle(self, session: Session, settled: Sequence[Settled]) -> None:
        """Nothing beyond the row: its result holds what the provider made (a later comment's thread)."""


def _action(
    item: Item, routes: Mapping[int, Route | Refused], people: Mapping[int, Respondent], threads: Threads
) -> tuple[Route, Action] | Outcome:
    payload = item.payload
    if payload.get("error"):
        return Refused(f"a template of the action failed: {payload['error']}", code="invalid_template")
    route = routes.get(int(payload.get("connection_id", 0)))
    if route is None or isinstance(route, Refused):
        return route or Refused("the action names no connection", code="config_error")
    operation, thread = str(payload.get("operation")), None
    if operation == "comment":
        found = threads.of(item)
        if isinstance(found, Retry):
            return found
        thread, operation = found, "comment" if found is not None else "create_issue"
    if operation not in route.destination.operations:
        return Refused(f"a {route.connector} connection cannot {operation}", code="config_error")
    profile_id = payload.get("profile_id")
    respondent = people.get(int(profile_id)) if profile_id else None
    return route, to_action(payload.get("action") or {}, item.idempotency_key, operation, thread, respondent)


def _scope(route: Route, action: Action) -> str:
    """What tells a paced destination's paces apart (a Slack channel): the action's field, else the setting."""
    pace = route.destination.pace
    if pace is None or pace.scope is None:
        return ""
    return str(action.fields.get(pace.scope) or route.config.get(pace.scope) or "")


def _togethers(route: Route, scope: str, members: Members) -> list[tuple[Together, Members]]:
    if route.destination.pace is not None:
        key = f"{route.connector}:{route.connection_id}:{scope}"
        return [(Together(partial(_paced, route, key, members)), members)]
    size = max(1, route.destination.batch_size)
    chunks = [members[start : start + size] for start in range(0, len(members), size)]
    return [(Together(partial(_perform, route, chunk)), chunk) for chunk in chunks]


def _perform(route: Route, chunk: Members) -> dict[int, Outcome]:
    """One request for the chunk, after asking what earlier attempts of its issues created."""
    outcomes: dict[int, Outcome] = {}
    todo: Members = []
    for item, action in chunk:
        if item.tried_before:  # a destination that cannot tell answers None without asking
            earlier = route.destination.lookup(route.config, action)
            if earlier is not None:
                outcomes[item.id] = _sent(route, action, earlier, found_by_lookup=True)
                continue
        todo.append((item, action))
    if todo:
        answers = route.destination.perform(route.config, [action for _, action in todo])
        for item, action in todo:
            outcomes[item.id] = _outcome(route, action, answers.get(action.key))
    return outcomes


def _paced(route: Route, key: str, members: Members) -> dict[int, Outcome]:
    """One action at a time in row order, each in its reserved slot; the rest wait for a later send."""
    pace = route.destination.pace
    assert pace is not None  # noqa: S101 - only paced groups come here
    started = time.monotonic()
    outcomes: dict[int, Outcome] = {}
    for n, (item, action) in enumerate(members):
        wait = reserve(key, pace, within=MAX_PACE_WAIT_S)
        rest = [later.id for later, _ in members[n:]]
        if wait > MAX_PACE_WAIT_S or time.monotonic() - started + wait > PACED_BUDGET_S:
            said = f"paced: {route.connector} takes its next action in {wait:.0f} s"
            later = Retry(said, after_s=wait, rate_limited=True)  # a pace, not a failure: no schedule used
            return outcomes | {row_id: later for row_id in rest}
        time.sleep(wait)
        try:
            outcomes |= _perform(route, [(item, action)])
        except Exception as exc:  # the whole request failed: this row and the ones behind it, in order
            failed = classify(exc)
            return outcomes | {row_id: failed for row_id in rest}
    return outcomes


def _outcome(route: Route, action: Action, answer: Done | Rejected | None) -> Outcome:
    if answer is None:
        return Retry(f"{route.connector} answered nothing for this action")
    if isinstance(answer, Rejected):
        return Retry(answer.error) if answer.retry else Refused(answer.error, code="rejected")
    return _sent(route, action, answer, found_by_lookup=False)


def _sent(route: Route, action: Action, done: Done, *, found_by_lookup: bool) -> Sent:
    result = {
        "ref": done.ref,
        **dict(done.detail),
        "operation": action.operation,
        "connection_id": route.connection_id,
        "found_by_lookup": found_by_lookup,
    }
    what = "found what an earlier attempt made" if found_by_lookup else "done"
    return Sent(result, f"{route.connector} {action.operation}: {what}{f' ({done.ref})' if done.ref else ''}")


def _routes(session: Session, connection_ids: set[int]) -> dict[int, Route | Refused]:
    found: dict[int, Route | Refused] = {}
    rows = session.scalars(sa.select(Connection).where(Connection.id.in_(sorted(connection_ids))))
    for connection in rows:
        found[connection.id] = _route(connection)
    for missing in connection_ids - found.keys():
        found[missing] = Refused(f"connection {missing} no longer exists", code="config_error")
    return found


def _route(connection: Connection) -> Route | Refused:
    try:
        destination = get_connector(connection.connector).actions
        config = settings(connection)
    except (UnknownConnector, SecretsError) as exc:
        return Refused(f"connection {connection.id}: {exc}", code="config_error")
    if destination is None:
        return Refused(f"a {connection.connector} connection cannot take result actions", code="config_error")
    return Route(connection.id, connection.connector, destination, config)


def _people(session: Session, profile_ids: set[int]) -> dict[int, Respondent]:
    """Each person's email and ids in other systems, as they are now (a CRM id may have come since)."""
    ids = sorted(profile_ids)
    identities: dict[int, dict[str, str]] = {}
    stmt = sa.select(Identity.profile_id, Identity.kind, Identity.value).where(Identity.profile_id.in_(ids))
    for profile_id, kind, value in session.execute(stmt.order_by(Identity.id)):
        identities.setdefault(profile_id, {}).setdefault(kind, value)
    people = {}
    for profile_id, traits in session.execute(
        sa.select(Profile.id, Profile.traits).where(Profile.id.in_(ids))
    ):
        known = identities.get(profile_id, {})
        email = (traits or {}).get("email") or known.get("email")
        people[profile_id] = Respondent(profile_id, str(email) if email else None, known)
    return people
