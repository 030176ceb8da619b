"""Which stored events reach which recipes, and how far the sweep has to look for them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db, utcnow
from hub.models import Cohort, EvaluatedEvent
from recipes.engine.engine import evaluate
from recipes.engine.sweep import SETTLED, sweep_unevaluated, watermark
from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import cohort_event, decisions, person, put_event, source

MINUTE = timedelta(minutes=1)


def test_a_cohort_recipe_weighs_only_its_own_cohorts_events(app: Flask, api: FlaskClient) -> None:
    connection_id = source(app)
    with app.app_context():
        mine, other = (
            Cohort(connection_id=connection_id, source_ref="a", name="A"),
            Cohort(connection_id=connection_id, source_ref="b", name="B"),
        )
        db.session.add_all([mine, other])
        db.session.commit()
        mine_id, other_id = mine.id, other.id
    recipe = add_recipe(
        api, add_campaign(api), conditions=None, trigger={"type": "cohort_entered", "cohort_id": mine_id}
    )
    someone = person(app)
    elsewhere = cohort_event(app, connection_id, someone, other_id)
    entered = cohort_event(app, connection_id, someone, mine_id)
    with app.app_context():
        assert evaluate(db.session, [elsewhere, entered]).decisions == 1
    assert [(d.event_id, d.recipe_id, d.outcome) for d in decisions(app)] == [
        (entered, recipe["id"], "invited")
    ]


def test_a_recipe_fires_only_for_events_stored_after_it_was_made(app: Flask, api: FlaskClient) -> None:
    connection_id, someone = source(app), person(app)
    before = put_event(app, connection_id, someone, "trial_expired", utcnow())
    add_recipe(api, add_campaign(api), conditions=None)
    after = put_event(app, connection_id, someone, "trial_expired", utcnow())
    with app.app_context():
        tally = evaluate(db.session, [before, after])
    assert (tally.events, tally.decisions) == (2, 1)
    assert [d.event_id for d in decisions(app)] == [after]


def test_events_no_recipe_looks_at_are_not_read_and_need_no_mark(app: Flask, api: FlaskClient) -> None:
    add_recipe(api, add_campaign(api), conditions=None)
    connection_id, someone = source(app), person(app)
    viewed = put_event(app, connection_id, someone, "page_viewed", utcnow())
    with app.app_context():
        assert evaluate(db.session, [viewed]).events == 0
        assert sweep_unevaluated(db.session, utcnow() + 2 * MINUTE).events == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EvaluatedEvent)) == 0


def test_the_sweep_reads_only_above_its_watermark(app: Flask, api: FlaskClient) -> None:
    add_recipe(api, add_campaign(api), conditions=None)
    connection_id = source(app)
    now = utcnow()
    first, second = (put_event(app, connection_id, person(app), "trial_expired", now) for _ in range(2))
    with app.app_context():
        assert sweep_unevaluated(db.session, now + 2 * MINUTE).events == 2
        assert watermark(db.session) < first  # stored less than SETTLED ago: a lower id may still commit
        assert sweep_unevaluated(db.session, now + SETTLED + MINUTE).events == 0
        assert watermark(db.session) == second
        db.session.execute(sa.delete(EvaluatedEvent).where(EvaluatedEvent.event_id == first))
        db.session.commit()  # below the mark: never read again, however large the table grows
        assert sweep_unevaluated(db.session, now + SETTLED + MINUTE).events == 0
    third = put_event(app, connection_id, person(app), "trial_expired", utcnow())
    with app.app_context():
        assert sweep_unevaluated(db.session, utcnow()).events == 0  # not a minute old yet
        assert watermark(db.session) == second  # the mark waits for it
        assert sweep_unevaluated(db.session, utcnow() + SETTLED + MINUTE).events == 1
        assert watermark(db.session) == third
    assert len(decisions(app)) == 3
