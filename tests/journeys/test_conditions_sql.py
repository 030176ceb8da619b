"""Stage conditions in SQL mean exactly what the recipe evaluator means in Python.

Every condition below is run both ways over the same stored values, on SQLite and PostgreSQL:
through recipes.journeys.sql against the events table, and through recipes.engine.conditions
on the same properties and traits. Types never mix (1 is 1.0, never true or "1"), a missing
field fails all but `ne`, `not_in` and `exists: false`, and values only ever travel as bound
parameters (a value that looks like SQL is just text).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub.db import db, utcnow
from hub.models import Event, Profile
from recipes.engine.conditions import Facts, failure
from recipes.journeys.schema import Stage
from recipes.journeys.sql import translate
from tests.journeys.support import T0, World

VALUES: list[Any] = [
    1,
    1.0,
    "1",
    True,
    False,
    None,
    "pro plan",
    "pro",
    ["a", 1, True],
    [1.0, None],
    {"w": "pro"},
    60,
    50,
    -3.5,
    1e30,
    "'; DROP TABLE events; --",
]
CONDITIONS: list[dict[str, Any]] = [
    {"field": "properties.v", "op": "eq", "value": 1},
    {"field": "properties.v", "op": "eq", "value": "1"},
    {"field": "properties.v", "op": "eq", "value": True},
    {"field": "properties.v", "op": "eq", "value": None},
    {"field": "properties.v", "op": "eq", "value": "'; DROP TABLE events; --"},
    {"field": "properties.v", "op": "ne", "value": 1},
    {"field": "properties.v", "op": "ne", "value": "pro"},
    {"field": "properties.v", "op": "in", "value": [1, "pro", None]},
    {"field": "properties.v", "op": "in", "value": [False, 50.0]},
    {"field": "properties.v", "op": "not_in", "value": [True, "pro"]},
    {"field": "properties.v", "op": "contains", "value": "pro"},
    {"field": "properties.v", "op": "contains", "value": 1},
    {"field": "properties.v", "op": "contains", "value": True},
    {"field": "properties.v", "op": "contains", "value": None},
    {"field": "properties.v", "op": "gt", "value": 50},
    {"field": "properties.v", "op": "gte", "value": 50},
    {"field": "properties.v", "op": "lt", "value": 0},
    {"field": "properties.v", "op": "lte", "value": 1.0},
    {"field": "properties.v", "op": "exists", "value": True},
    {"field": "properties.v", "op": "exists", "value": False},
    {"field": "properties.v.w", "op": "eq", "value": "pro"},
    {"field": "properties.v.w", "op": "exists", "value": False},
    {"field": "traits.plan", "op": "eq", "value": "team"},
    {
        "any": [
            {"field": "properties.v", "op": "gt", "value": 55},
            {"field": "properties.v", "op": "eq", "value": "1"},
        ]
    },
    {
        "all": [
            {"field": "properties.v", "op": "exists", "value": True},
            {"field": "traits.plan", "op": "ne", "value": "team"},
        ]
    },
]


def stored(app: Flask, world: World) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """One event per value (and one without it), its person on the team plan every other time."""
    facts = {}
    for index, value in enumerate([*VALUES, "missing"]):
        properties = {} if value == "missing" else {"v": value}
        traits = {"plan": "team"} if index % 2 else {"plan": "free"}
        world.person(("checkout", T0, properties), **traits)
    with app.app_context():
        for event, profile in db.session.execute(
            sa.select(Event, Profile).join(Profile, Profile.id == Event.profile_id)
        ):
            facts[event.id] = (event.properties, profile.traits)
    return facts


def test_sql_agrees_with_the_evaluator(app: Flask, world: World) -> None:
    facts = stored(app, world)
    now = utcnow()
    disagreements = []
    with app.app_context():
        dialect = db.session.get_bind().dialect.name
        for condition in CONDITIONS:
            checked = Stage.model_validate(
                {"name": "s", "event": "checkout", "conditions": condition}
            ).conditions
            assert checked is not None
            rule = checked.model_dump(mode="json")
            clause = translate(rule, dialect, Event.properties, Profile.traits)
            matched = set(
                db.session.scalars(
                    sa.select(Event.id).join(Profile, Profile.id == Event.profile_id).where(clause)
                )
            )
            expected = {i for i, (p, t) in facts.items() if failure(rule, Facts(p, t, now)) is None}
            assert expected, f"the grid should let something through {condition}"
            if matched != expected:
                disagreements.append((condition, sorted(matched ^ expected)))
    assert disagreements == []
