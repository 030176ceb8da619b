"""Caps claimed for a whole batch decide what claiming them one event at a time would."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db, utcnow
from hub.models import CapClaim, Decision, EvaluatedEvent, Event
from recipes.engine.engine import evaluate
from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import decisions, invites, journey_event, person, put_event, source, store


def claims(app: Flask) -> dict[str, tuple[object, int]]:
    with app.app_context():
        return {c.key: (c.claimed_at, c.used) for c in db.session.scalars(sa.select(CapClaim))}


def test_one_person_twice_in_a_batch_is_invited_once(app: Flask, api: FlaskClient) -> None:
    add_recipe(api, add_campaign(api), conditions=None)
    connection_id, someone, now = source(app), person(app), utcnow()
    events = [put_event(app, connection_id, someone, "trial_expired", now) for _ in range(3)]
    with app.app_context():
        assert evaluate(db.session, events).invites == 1
    assert [(d.event_id, d.outcome, d.reason) for d in decisions(app)] == [
        (events[0], "invited", "every step passed; due now"),
        (events[1], "skipped", "invited to a study in the last 90 days"),
        (events[2], "skipped", "invited to a study in the last 90 days"),
    ]


def test_a_budget_grants_what_is_left_of_it_to_the_first_of_a_batch(app: Flask, api: FlaskClient) -> None:
    campaign_id = add_campaign(api)
    add_recipe(api, campaign_id, conditions=None, caps={"daily_budget": 3})
    connection_id, now = source(app), utcnow()
    first = [put_event(app, connection_id, person(app), "trial_expired", now) for _ in range(2)]
    later = [put_event(app, connection_id, person(app), "trial_expired", now) for _ in range(4)]
    with app.app_context():
        assert evaluate(db.session, first).invites == 2
        assert evaluate(db.session, later).invites == 1
    assert [d.outcome for d in decisions(app)] == ["invited"] * 3 + ["skipped"] * 3
    assert [used for key, (_, used) in claims(app).items() if key.startswith("budget:")] == [3]


def test_claims_of_an_invite_a_later_cap_refuses_are_given_back(app: Flask, api: FlaskClient) -> None:
    """The budget refuses; the person's claims go back to what they were, so the same person's
    invite to another campaign in the same batch is made, as it would be one event at a time."""
    budgeted = add_campaign(api)
    add_recipe(api, budgeted, conditions=None, caps={"daily_budget": 1})
    add_recipe(
        api, add_campaign(api, name="Free"), conditions=None, trigger={"type": "event", "event": "churned"}
    )
    connection_id, spender, both, lapsed, now = source(app), person(app), person(app), person(app), utcnow()
    long_ago = now - timedelta(days=400)
    with app.app_context():
        db.session.add(CapClaim(key=f"person:{lapsed}", claimed_at=long_ago, used=4))
        db.session.commit()
        evaluate(db.session, [put_event(app, connection_id, spender, "trial_expired", now)])
    spent = claims(app)
    batch = [
        put_event(app, connection_id, both, "trial_expired", now),
        put_event(app, connection_id, both, "churned", now),
        put_event(app, connection_id, lapsed, "trial_expired", now),
    ]
    with app.app_context():
        assert evaluate(db.session, batch).invites == 1
    outcomes = [(d.event_id, d.outcome, d.reason) for d in decisions(app)][1:]
    budget_spent = "the campaign's daily budget of 1 is spent"
    assert outcomes == [
        (batch[0], "skipped", budget_spent),
        (batch[1], "invited", "every step passed; due now"),
        (batch[2], "skipped", budget_spent),
    ]
    after = claims(app)
    assert f"person:{both}:campaign:{budgeted}" not in after  # inserted, then given back
    assert after[f"person:{both}"][1] == 1  # held by the churned invite
    assert after[f"person:{lapsed}"] == (long_ago, 4)  # updated, then restored
    assert {k: v for k, v in after.items() if k.startswith("budget:")} == {
        k: v for k, v in spent.items() if k.startswith("budget:")
    }
    assert len(invites(app)) == 2


def test_a_batch_beyond_sqlites_parameter_limit_is_written_in_parts(app: Flask, api: FlaskClient) -> None:
    """SQLite refuses a statement of more parameters than its build allows (32,766 by default):
    a batch whose ledger and decision rows need more is written in parts, each event decided
    once. The limit is lowered on the connection to 4,000: the batch's 3,000 ids fit in one
    statement, its 3,000 ledger rows of two columns do not."""
    connection_id = source(app)
    ids = store(app, connection_id, *(journey_event("trial_expired", "many-times") for _ in range(3_000)))
    add_recipe(api, add_campaign(api), conditions=None)
    with app.app_context():
        db.session.execute(sa.update(Event).values(received_at=utcnow()))  # as if they came now
        raw = db.session.connection().connection.dbapi_connection
        if isinstance(raw, sqlite3.Connection):
            raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 4_000)
        assert evaluate(db.session, ids).invites == 1
        outcomes = db.session.execute(
            sa.select(Decision.outcome, sa.func.count()).group_by(Decision.outcome).order_by(Decision.outcome)
        ).all()
        assert [tuple(row) for row in outcomes] == [("invited", 1), ("skipped", 2_999)]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EvaluatedEvent)) == 3_000
        db.session.rollback()
