"""Time triggers fired by the periodic job, the sweep, deferrals tried again, late conversions."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from hub.db import db, utcnow
from recipes.engine.deferred import retry_deferred
from recipes.engine.engine import evaluate
from recipes.engine.sweep import sweep_unevaluated
from recipes.engine.windows import fire_closed_windows
from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import decisions, invites, person, put_event, source

DAY = timedelta(days=1)


def test_after_n_days_fires_when_the_window_closes_and_only_for_windows_closing_after_creation(
    app: Flask, api: FlaskClient
) -> None:
    connection_id, someone = source(app), person(app)
    now = utcnow()
    closed_before = put_event(app, connection_id, someone, "order_completed", now - 10 * DAY)
    closing_later = put_event(app, connection_id, someone, "order_completed", now - 5 * DAY)
    trigger = {"type": "after", "event": "order_completed", "days": 7}
    recipe = add_recipe(
        api,
        add_campaign(api),
        conditions=None,
        trigger=trigger,
        caps={"per_person_days": 0, "per_campaign_person": {"days": 1}},
    )
    with app.app_context():
        assert fire_closed_windows(db.session, now).decisions == 0
        assert fire_closed_windows(db.session, now + 3 * DAY).decisions == 1
        assert fire_closed_windows(db.session, now + 3 * DAY).decisions == 0
    assert [(d.event_id, d.recipe_id, d.outcome) for d in decisions(app)] == [
        (closing_later, recipe["id"], "invited")
    ]
    backfilled = add_recipe(api, add_campaign(api), conditions=None, trigger={**trigger, "backfill": True})
    with app.app_context():
        fire_closed_windows(db.session, now + 3 * DAY)
    assert {d.event_id for d in decisions(app) if d.recipe_id == backfilled["id"]} == {
        closed_before,
        closing_later,
    }


def test_absence_fires_for_those_who_did_not_convert_and_a_late_conversion_withdraws_the_invite(
    app: Flask, api: FlaskClient
) -> None:
    connection_id, converted, lapsed = source(app), person(app), person(app)
    now = utcnow()
    trigger = {"type": "absence", "event": "trial_started", "missing": "subscribed", "within_days": 14}
    add_recipe(api, add_campaign(api), conditions=None, trigger=trigger)
    put_event(app, connection_id, converted, "trial_started", now)
    put_event(app, connection_id, converted, "subscribed", now + 3 * DAY)
    put_event(app, connection_id, lapsed, "trial_started", now)
    with app.app_context():
        fire_closed_windows(db.session, now + 15 * DAY)
    [invite] = invites(app)
    assert invite.profile_id == lapsed and invite.status == "pending"
    late = put_event(app, connection_id, lapsed, "subscribed", now + 10 * DAY)
    with app.app_context():
        evaluate(db.session, [late], now + 16 * DAY)
    assert [i.status for i in invites(app)] == ["expired"]


def test_the_sweep_evaluates_what_the_after_commit_job_never_reached(app: Flask, api: FlaskClient) -> None:
    add_recipe(api, add_campaign(api), conditions=None)
    event_id = put_event(app, source(app), person(app), "trial_expired", utcnow())
    with app.app_context():
        assert sweep_unevaluated(db.session).events == 0  # not a minute old yet
        assert sweep_unevaluated(db.session, utcnow() + 2 * timedelta(minutes=1)).events == 1
        assert sweep_unevaluated(db.session, utcnow() + 2 * timedelta(minutes=1)).events == 0
    assert [(d.event_id, d.outcome) for d in decisions(app)] == [(event_id, "invited")]


def test_a_deferred_invite_is_made_when_the_cap_frees(app: Flask, api: FlaskClient) -> None:
    caps = {"per_person_days": 0, "per_campaign_person": {"days": 2}, "when_capped": "defer"}
    add_recipe(api, add_campaign(api), conditions=None, caps=caps)
    connection_id, someone = source(app), person(app)
    now = utcnow()
    first = put_event(app, connection_id, someone, "trial_expired", now)
    second = put_event(app, connection_id, someone, "trial_expired", now)
    with app.app_context():
        evaluate(db.session, [first, second], now)
        assert retry_deferred(db.session, now + DAY).invites == 0
        assert retry_deferred(db.session, now + 2 * DAY + timedelta(minutes=1)).invites == 1
    assert [(d.event_id, d.outcome) for d in decisions(app)] == [(first, "invited"), (second, "invited")]
    assert len(invites(app)) == 2
