"""GET /profiles/<id>/eligibility: whether one person would be invited now, and why not."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.recipes.conftest import add_campaign, add_recipe
from tests.recipes.support import cohort_event, decisions, journey_event, person, source, store


def test_eligibility_explains_the_first_step_that_holds_a_person_back(app: Flask, api: FlaskClient) -> None:
    campaign_id = add_campaign(api)
    recipe = add_recipe(api, campaign_id)
    connection_id = source(app)
    store(app, connection_id, journey_event("trial_expired", "u1", {"cart_value": 10}))
    profile_id = decisions(app)[0].profile_id
    url = f"/api/v1/profiles/{profile_id}/eligibility?recipe_id={recipe['id']}"
    answer = api.get(url).json
    assert (answer["eligible_now"], answer["reason"]) == (
        False,
        "conditions: properties.cart_value is 10, wanted gt 50",
    )
    assert [d["outcome"] for d in answer["decisions"]] == ["skipped"]

    store(app, connection_id, journey_event("trial_expired", "u1", {"cart_value": 99}))
    capped = api.get(url).json
    assert (
        capped["eligible_now"] is False and capped["reason"] == "caps: invited to a study in the last 90 days"
    )
    assert [d["outcome"] for d in capped["decisions"]] == ["invited", "skipped"]


def test_eligibility_of_someone_the_trigger_never_saw_and_of_nobody(app: Flask, api: FlaskClient) -> None:
    recipe = add_recipe(api, add_campaign(api), conditions=None)
    store(app, source(app), journey_event("signed_up", "u2"))
    answer = api.get(f"/api/v1/profiles/1/eligibility?recipe_id={recipe['id']}").json
    assert (
        answer["eligible_now"] is False and answer["reason"] == "this person has no trial_expired event yet"
    )
    assert api.get(f"/api/v1/profiles/999/eligibility?recipe_id={recipe['id']}").status_code == 404
    assert api.get("/api/v1/profiles/1/eligibility").status_code == 400


def test_eligibility_of_a_cohort_recipe_reads_the_persons_entry_into_its_own_cohort(
    app: Flask, api: FlaskClient
) -> None:
    from hub.db import db
    from hub.models import Cohort

    connection_id = source(app)
    with app.app_context():
        cohorts = [Cohort(connection_id=connection_id, source_ref=ref, name=ref) for ref in ("mine", "other")]
        db.session.add_all(cohorts)
        db.session.commit()
        mine, other = (c.id for c in cohorts)
    recipe = add_recipe(
        api, add_campaign(api), conditions=None, trigger={"type": "cohort_entered", "cohort_id": mine}
    )
    someone = person(app)
    cohort_event(app, connection_id, someone, mine)
    cohort_event(app, connection_id, someone, other)  # the latest cohort event, but not of its cohort
    answer = api.get(f"/api/v1/profiles/{someone}/eligibility?recipe_id={recipe['id']}").json
    assert (answer["eligible_now"], answer["reason"]) == (True, "every step passes")
