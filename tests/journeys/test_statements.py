"""The funnel is a fixed number of SQL statements, whatever the number of events: one reads
the events, and it answers a row per stage and segment value, never the events themselves."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db
from tests.journeys.support import World, add_journey, hours


def traced(
    app: Flask, api: FlaskClient, path: str, query: dict[str, str]
) -> tuple[Any, list[tuple[str, int]]]:
    """The answer, and each statement run to make it with the rows its cursor reported."""
    with app.app_context():
        engine = db.engine
    statements: list[tuple[str, int]] = []

    def after(_conn: Any, cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append((statement, cursor.rowcount))

    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        answer = api.get(path, query_string=query)
    finally:
        sa.event.remove(engine, "after_cursor_execute", after)
    assert answer.status_code == 200, answer.json
    return answer, statements


def test_more_events_do_not_mean_more_statements(app: Flask, api: FlaskClient, world: World) -> None:
    world.known_funnel()
    journey_id = add_journey(api)
    path, query = f"/api/v1/journeys/{journey_id}/funnel", {"segment": "traits.plan"}
    _, few = traced(app, api, path, query)
    for n in range(60):
        world.person(
            *[("signed_up", hours(k)) for k in range(5)],
            ("trial_started", hours(6)),
            ("checkout", hours(7)),
            ("paid", hours(8 + n % 3)),
            plan=("free", "pro", "team")[n % 3],
        )
    answer, many = traced(app, api, path, query)
    assert answer.json["stages"][0]["entered"] == 66
    assert len(many) == len(few) <= 8
    reading = [(text, rows) for text, rows in many if " events" in text]
    assert len(reading) == 1 and reading[0][0].lstrip().startswith("WITH")
    stage_rows = 4 * (1 + len(answer.json["segments"]))
    assert reading[0][1] in (stage_rows, -1)  # SQLite's cursor reports -1 for a SELECT
