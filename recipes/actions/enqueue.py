"""Writing a recipe's result actions as outbox rows, in the transaction that stores the synthesis.

Called once a result's synthesis and its findings are written and before they commit, so the
rows exist exactly when the change that caused them does: a rolled-back synthesis leaves
none, a committed one cannot lose them. Keys are made of what caused the row (the finding
change or the result, the connection, the action's place in the recipe), so writing them
again (a synthesis redone) adds nothing.

- `on: result`: each qualifying result (quality at the threshold or above); lower ones write nothing;
- `on: finding`: a finding of the recipe's whole history (period `all`) appeared;
- `on: finding_changed`: it moved by more than the set amount, or receded.
Monthly windows repeat the same themes every month, so they are not acted on. The finding
changes of the result are marked handled whether or not an action wanted them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.models import Connection, Finding, FindingChange, InterviewResult, Profile, Recipe
from hub.outbox.rows import NewRow, add
from recipes.actions.render import (
    RenderProblem,
    finding_action,
    finding_variables,
    profile_variables,
    result_action,
    result_variables,
)
from recipes.insights.findings import ALL

KIND = "action"


def result_key(result_id: int, connection_id: int, index: int) -> str:
    return f"action:r{result_id}:c{connection_id}:{index}"


def finding_prefix(finding_id: int, connection_id: int) -> str:
    """What the keys of every action of one finding on one connection start with."""
    return f"action:f{finding_id}:c{connection_id}:"


def finding_key(finding_id: int, connection_id: int, change_id: int, index: int) -> str:
    return f"{finding_prefix(finding_id, connection_id)}ch{change_id}:{index}"


def after_synthesis(session: Session, result: InterviewResult, now: datetime) -> int:
    """Adds the rows the result and its finding changes call for to the session; answers how many."""
    changes = list(
        session.scalars(
            sa.select(FindingChange)
            .where(FindingChange.result_id == result.id, FindingChange.handled_at.is_(None))
            .order_by(FindingChange.id)
        )
    )
    recipe = session.get(Recipe, result.recipe_id) if result.recipe_id is not None else None
    actions: list[dict[str, Any]] = list((recipe.definition.get("actions") or []) if recipe else [])
    rows: list[NewRow] = []
    if recipe is not None and actions:
        rows = _Writer(session, result, recipe, actions).rows(changes)
    add(session, rows)
    if changes:
        session.execute(
            sa.update(FindingChange)
            .where(FindingChange.id.in_([c.id for c in changes]))
            .values(handled_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


class _Writer:
    """The rows of one result's recipe: its connections and its person read once."""

    def __init__(
        self, session: Session, result: InterviewResult, recipe: Recipe, actions: list[dict[str, Any]]
    ) -> None:
        self.session, self.result, self.actions = session, result, actions
        ids = sorted({int(a["connection_id"]) for a in actions})
        self.connectors = dict(
            session.execute(
                sa.select(Connection.id, Connection.connector).where(Connection.id.in_(ids))
            ).all()
        )
        profile = session.get(Profile, result.profile_id) if result.profile_id is not None else None
        traits = dict(profile.traits) if profile is not None else {}
        email = traits.get("email") or result.respondent.get("email")
        self.variables: dict[str, Any] = {
            "finding": None,
            "result": result_variables(result, recipe.name),
            "profile": profile_variables(result.profile_id, traits, str(email) if email else None),
        }

    def rows(self, changes: list[FindingChange]) -> list[NewRow]:
        rows = []
        if self.result.qualifying:
            for index, action in enumerate(self.actions):
                if action["on"] == "result":
                    key = result_key(self.result.id, int(action["connection_id"]), index)
                    rows.append(self._row(key, action, None))
        for change in changes:
            if change.period != ALL:
                continue
            on = "finding" if change.kind == "appeared" else "finding_changed"
            wanted = [(i, a) for i, a in enumerate(self.actions) if a["on"] == on]
            finding = self.session.get(Finding, change.finding_id) if wanted else None
            for index, action in wanted:
                assert finding is not None  # noqa: S101 - read above when an action wants it
                key = finding_key(finding.id, int(action["connection_id"]), change.id, index)
                rows.append(self._row(key, action, (finding, change)))
        return rows

    def _row(self, key: str, action: dict[str, Any], about: tuple[Finding, FindingChange] | None) -> NewRow:
        connection_id = int(action["connection_id"])
        payload: dict[str, Any] = {
            "connection_id": connection_id,
            "on": action["on"],
            "operation": action["operation"],
            "result_id": self.result.id,
            "profile_id": self.result.profile_id,
        }
        variables = self.variables
        if about is not None:
            finding, change = about
            payload |= {"finding_id": finding.id, "change_id": change.id}
            variables = variables | {
                "finding": finding_variables(finding, change, variables["result"]["recipe"])
            }
        build = result_action if about is None else finding_action
        try:
            payload["action"] = build(str(action["operation"]), action.get("fields") or {}, variables)
        except RenderProblem as exc:
            payload["error"] = str(exc)
        target = f"{self.connectors.get(connection_id, 'unknown')}:{connection_id}"
        return NewRow(kind=KIND, target=target, payload=payload, idempotency_key=key)
