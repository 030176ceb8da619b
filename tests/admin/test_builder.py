"""The recipe builder's pages: pickers filled from what the hub has seen, the recipe as the API
answers it, and one recipe's chart over time drawn on the server."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.admin.seed import seed


def _embedded(page: str, element: str) -> object:
    found = re.search(rf'<script type="application/json" id="{element}">(.*?)</script>', page, re.S)
    assert found, element
    return json.loads(found.group(1))


def test_the_builder_offers_what_the_hub_has_seen(app: Flask, admin: FlaskClient) -> None:
    s = seed(app, events=3)
    page = admin.get("/admin/recipes/new/").get_data(as_text=True)
    options = _embedded(page, "builder-options")
    assert isinstance(options, dict)
    assert "trial_expired" in options["events"]
    assert {"properties.cart_value", "traits.plan"} <= set(options["fields"])
    assert {"id": s.campaign_id, "name": "Why did you not convert?"} in options["campaigns"]
    assert "within_days" in options["ops"]
    assert _embedded(page, "builder-recipe") is None
    assert "builder.js" in page
    for label in ("Name", "Trigger", "Event", "Sample (% of people)", "Daily budget", "When capped"):
        assert f">{label}</label>" in page, label


def test_a_saved_recipe_opens_as_the_api_answers_it(app: Flask, admin: FlaskClient) -> None:
    s = seed(app, events=3)
    page = admin.get(f"/admin/recipes/{s.recipe_id}/").get_data(as_text=True)
    recipe = _embedded(page, "builder-recipe")
    assert isinstance(recipe, dict)
    assert recipe["id"] == s.recipe_id and recipe["trigger"] == {"type": "event", "event": "trial_expired"}
    listing = admin.get("/admin/recipes/").get_data(as_text=True)
    assert "Trial expired without converting" in listing
    assert admin.get("/admin/recipes/999999/").status_code == 404


def test_a_recipes_chart_counts_its_trigger_events_and_invites(app: Flask, admin: FlaskClient) -> None:
    s = seed(app, events=4)
    page = admin.get(f"/admin/recipes/{s.recipe_id}/chart/").get_data(as_text=True)
    assert page.count("<polyline") == 4 and 'role="img"' in page
    rows = re.findall(r'<tr><th scope="row">[^<]+</th><td>(\d+)</td><td>(\d+)</td>', page)
    assert sum(int(t) for t, _ in rows) == 4, "one decision per event"
    assert sum(int(i) for _, i in rows) == 4


def test_the_builder_needs_a_sign_in(client: FlaskClient) -> None:
    assert client.get("/admin/recipes/new/").status_code == 302
