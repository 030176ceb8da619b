"""Result actions on a journey-changed event: a stage's rate moved, so the recipe that asks that
stage's leavers why pushes it ("Checkout → Paid fell from 41% to 33% …; top reasons: …").

Written in the snapshot's transaction, beside the change itself, so a change exists with its
rows or not at all; keyed by the change, so writing them again adds nothing. Keys start with
the journey, the stage and the connection, so a later change of the same stage `comment`s on
the issue the first one opened (recipes.actions.threads), as a finding's changes do.
Templates see `journey` only: a stage's rate has no result and no person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.sdk.actions import Quote
from hub.models import Connection, Finding, Journey, JourneyChange, Recipe
from hub.outbox.rows import NewRow, add
from recipes.actions.enqueue import KIND
from recipes.actions.render import RenderProblem, public_url, quote_url, render_fields, stored
from recipes.insights.findings import ALL
from recipes.journeys.schema import JourneyIn

ON = "journey_changed"
QUOTES_PER_REASON = 1


def journey_prefix(journey_id: int, stage: int, connection_id: int) -> str:
    """What the keys of every action of one journey stage on one connection start with."""
    return f"action:j{journey_id}:s{stage}:c{connection_id}:"


def journey_key(journey_id: int, stage: int, connection_id: int, change_id: int, index: int) -> str:
    return f"{journey_prefix(journey_id, stage, connection_id)}ch{change_id}:{index}"


def after_journey_changes(
    session: Session, journey: Journey, spec: JourneyIn, changes: Sequence[JourneyChange], now: datetime
) -> int:
    """Adds the rows the changes call for (their ids flushed) and marks every change handled."""
    rows: list[NewRow] = []
    for change in changes:
        recipe_id = spec.stages[change.stage - 1].recipe_id
        recipe = session.get(Recipe, recipe_id) if recipe_id is not None else None
        wanted = [
            (index, action)
            for index, action in enumerate((recipe.definition.get("actions") or []) if recipe else [])
            if action["on"] == ON
        ]
        if recipe is not None and wanted:
            variables = {"journey": journey_variables(session, journey, change, recipe)}
            rows += [_row(session, change, variables, index, action) for index, action in wanted]
        change.handled_at = now
    add(session, rows)
    return len(rows)


def journey_variables(
    session: Session, journey: Journey, change: JourneyChange, recipe: Recipe
) -> dict[str, Any]:
    return {
        "id": journey.id,
        "name": journey.name,
        "change_id": change.id,
        "stage": change.stage,
        "stage_name": change.stage_name,
        "next_stage": change.next_stage,
        "rate": change.rate,
        "rate_before": change.rate_before,
        "rate_percent": round(change.rate * 100),
        "rate_before_percent": round(change.rate_before * 100),
        "direction": "fell" if change.rate < change.rate_before else "rose",
        "entered": change.entered,
        "reasons": [dict(r) for r in change.reasons],
        "summary": change.summary,
        "recipe_id": recipe.id,
        "recipe": recipe.name,
        "quotes": _quotes(session, recipe.id, [str(r["theme"]) for r in change.reasons]),
        "at": change.at.isoformat(),
        "link": f"{public_url()}/api/v1/journeys/{journey.id}/changes",
    }


def journey_action(operation: str, fields: dict[str, str], variables: dict[str, Any]) -> dict[str, Any]:
    """The stored form of an action on a journey change (the outbox row's payload)."""
    journey = variables["journey"]
    quotes = [Quote(q["text"], q["url"], q["result_id"]) for q in journey["quotes"]]
    reasons = [f"- {r['theme']}: {r['share']:.0%} of interviews ({r['status']})" for r in journey["reasons"]]
    text = "\n".join(
        [
            journey["summary"],
            f"Journey: {journey['name']}, {journey['entered']} people entered {journey['stage_name']}",
            *(["Top reasons (from the interviews):", *reasons] if reasons else []),
            *(["Quotes:", *(f'- "{q.text}" ({q.url})' for q in quotes)] if quotes else []),
            f"History: {journey['link']}",
        ]
    )
    title = f"{journey['name']}: {journey['stage_name']} → {journey['next_stage']} {journey['direction']} "
    title += f"from {journey['rate_before_percent']}% to {journey['rate_percent']}%"
    context = {k: journey[k] for k in _CONTEXT} | {"journey_id": journey["id"]}
    rendered = render_fields(fields, variables)
    return stored(operation, rendered, title, text, journey["link"], quotes, context)


_CONTEXT = (
    "name", "change_id", "stage", "stage_name", "next_stage", "rate", "rate_before", "direction",
    "entered", "reasons", "summary", "recipe_id", "recipe", "at", "link",
)  # fmt: skip


def _row(
    session: Session, change: JourneyChange, variables: dict[str, Any], index: int, action: dict[str, Any]
) -> NewRow:
    connection_id = int(action["connection_id"])
    payload: dict[str, Any] = {
        "connection_id": connection_id,
        "on": ON,
        "operation": action["operation"],
        "journey_id": change.journey_id,
        "stage": change.stage,
        "change_id": change.id,
        "profile_id": None,
    }
    try:
        payload["action"] = journey_action(str(action["operation"]), action.get("fields") or {}, variables)
    except RenderProblem as exc:
        payload["error"] = str(exc)
    connector = session.scalar(sa.select(Connection.connector).where(Connection.id == connection_id))
    key = journey_key(change.journey_id, change.stage, connection_id, change.id, index)
    return NewRow(
        kind=KIND, target=f"{connector or 'unknown'}:{connection_id}", payload=payload, idempotency_key=key
    )


def _quotes(session: Session, recipe_id: int, themes: list[str]) -> list[dict[str, Any]]:
    """A quote or so for each top reason, in the reasons' order, linked to its transcript turn."""
    if not themes:
        return []
    findings = session.scalars(
        sa.select(Finding).where(
            Finding.recipe_id == recipe_id, Finding.period == ALL, Finding.theme.in_(themes)
        )
    )
    by_theme = {f.theme: f for f in findings}
    quotes = []
    for theme in themes:
        found = by_theme.get(theme)
        for quote in (found.quotes if found is not None else [])[:QUOTES_PER_REASON]:
            turn, result_id = int(quote.get("turn", 0)), int(quote["result_id"])
            quotes.append(
                {
                    "text": str(quote["text"]),
                    "turn": turn,
                    "result_id": result_id,
                    "url": quote_url(result_id, turn),
                }
            )
    return quotes
