"""Every admin page answers over a seeded workspace, reading what the hub's services say."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db
from hub.models import Outbox
from tests.admin.conftest import csrf
from tests.admin.seed import seed
from tests.connectors.conftest import start_fake


def test_every_list_and_details_page_answers(app: Flask, admin: FlaskClient) -> None:
    s = seed(app)
    for view, row_id in (
        ("connection", s.source_id),
        ("event", None),
        ("profile", s.profile_id),
        ("campaign", s.campaign_id),
        ("invite", None),
        ("result", s.result_id),
        ("finding", s.finding_id),
        ("outbox", s.dead_id),
        ("run", s.run_id),
        ("cohort", None),
    ):
        listing = admin.get(f"/admin/{view}/")
        assert listing.status_code == 200, view
        if row_id is not None:
            assert admin.get(f"/admin/{view}/details/?id={row_id}").status_code == 200, view
    assert admin.get("/admin/").status_code == 200 and admin.get("/admin/tokens/").status_code == 200


def test_a_profile_shows_its_story_and_why_each_recipe_would_invite_it(
    app: Flask, admin: FlaskClient
) -> None:
    s = seed(app)
    text = admin.get(f"/admin/profile/details/?id={s.profile_id}").get_data(as_text=True)
    assert "user_id" in text and "Person" in text, "identities and traits"
    assert "Trial expired without converting" in text and "caps" in text, "the eligibility explanation"
    assert "Pricing is unclear" in text and "I never knew what the pro plan would cost." in text


def test_a_campaign_previews_its_message_for_a_sample_or_a_real_person(
    app: Flask, admin: FlaskClient
) -> None:
    s = seed(app)
    sample = admin.get(f"/admin/campaign/details/?id={s.campaign_id}").get_data(as_text=True)
    assert "A question, Ada" in sample and "interviews.example.com/trial?plan=pro" in sample
    real = admin.get(f"/admin/campaign/details/?id={s.campaign_id}&profile_id={s.profile_id}").get_data(
        as_text=True
    )
    assert re.search(r"A question, Person \d", real)


def test_events_are_searched_and_filtered_and_lists_page_on_the_server(
    app: Flask, admin: FlaskClient
) -> None:
    seed(app, events=30)
    first = admin.get("/admin/event/?page_size=25").get_data(as_text=True)
    assert first.count("trial_expired") >= 25 and "page=1" in first
    second = admin.get("/admin/event/?page=1&page_size=25").get_data(as_text=True)
    assert 0 < second.count("trial_expired") < 25
    greedy = admin.get("/admin/event/?page_size=100000").get_data(as_text=True)
    assert greedy.count("/admin/event/details/?id=") == 25, "a page size outside the offered ones is ignored"
    found = admin.get("/admin/event/?search=nothing-like-this").get_data(as_text=True)
    assert "trial_expired" not in found
    assert admin.get("/admin/event/?flt0_occurred_at_greater_than=2020-01-01+00:00:00").status_code == 200


def test_a_dead_row_is_replayed_once_its_connection_is_fixed(app: Flask, admin: FlaskClient) -> None:
    s = seed(app)
    fake = start_fake("generic", 0)
    try:
        edit = f"/admin/connection/edit/?id={s.source_id}"
        form = {
            "csrf_token": csrf(admin, edit),
            "name": "web",
            "setting_url": fake.credentials["url"],
            "setting_secret": fake.credentials["secret"],
            "setting_timeout_s": "",
        }
        assert admin.post(edit, data=form).status_code == 302
        listing = admin.get("/admin/outbox/?flt0_status_equals=dead").get_data(as_text=True)
        assert f"/admin/outbox/details/?id={s.dead_id}" in listing
        details = f"/admin/outbox/details/?id={s.dead_id}"
        assert "Replay this row" in admin.get(details).get_data(as_text=True)
        replayed = admin.post(f"/admin/outbox/{s.dead_id}/replay", data={"csrf_token": csrf(admin, details)})
        assert replayed.status_code == 302
        assert app.extensions["journeyhub.jobs"].drain(timeout=60)
        with app.app_context():
            row = db.session.get(Outbox, s.dead_id)
            assert row is not None and row.status == "sent", row.last_error
        assert len(fake.deliveries) == 1
    finally:
        fake.stop()


def test_many_rows_are_replayed_with_the_list_action(app: Flask, admin: FlaskClient) -> None:
    seed(app)
    with app.app_context():
        ids = [
            str(i)
            for i in db.session.scalars(sa.select(Outbox.id).where(Outbox.status.in_(("failed", "dead"))))
        ]
    assert len(ids) == 3
    token = csrf(admin, "/admin/outbox/")
    answer = admin.post("/admin/outbox/action/", data={"csrf_token": token, "action": "replay", "rowid": ids})
    assert answer.status_code == 302
    assert app.extensions["journeyhub.jobs"].drain(timeout=60)
    with app.app_context():
        attempts = db.session.scalars(sa.select(Outbox.attempts).where(Outbox.id.in_([int(i) for i in ids])))
        assert list(attempts) == [1, 1, 1], "each was tried again from a fresh schedule"
