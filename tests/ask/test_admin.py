"""The admin's insights chat: ask beside the journeys and findings, follow up, and each citation links
to its transcript turn on the result's page."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.admin.conftest import add_admin, csrf, sign_in
from tests.ask.support import labelled
from tests.insights.support import World


def signed_in(world: World) -> FlaskClient:
    add_admin(world.app)
    client = world.app.test_client()
    assert sign_in(client) == 302
    return client


def test_asking_and_following_up_in_the_admin(world: World) -> None:
    ids = labelled(world.app, world.connection_id, world.recipe_id)
    admin = signed_in(world)
    token = csrf(admin, "/admin/ask/")
    asked = admin.post("/admin/ask/", data={"question": "Why is it too expensive?", "csrf_token": token})
    assert asked.status_code == 302 and "conversation=" in asked.headers["Location"]
    page = admin.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Pricing and cost" in page
    links = re.findall(r'href="/admin/result/details/\?id=(\d+)#turn-(\d+)"', page)
    assert links and {int(rid) for rid, _ in links} <= set(ids.values())
    rid, turn = links[0]
    transcript = admin.get(f"/admin/result/details/?id={rid}").get_data(as_text=True)
    assert f"id='turn-{turn}'" in transcript
    conversation = re.search(r'name="conversation_id" value="(\d+)"', page)
    assert conversation
    follow = admin.post(
        "/admin/ask/",
        data={
            "question": "And the onboarding?",
            "conversation_id": conversation.group(1),
            "csrf_token": token,
        },
    )
    assert follow.status_code == 302
    page = admin.get(follow.headers["Location"]).get_data(as_text=True)
    assert "And the onboarding?" in page and "Why is it too expensive?" in page


def test_bad_input_is_said_on_the_page_and_a_post_needs_csrf(world: World) -> None:
    admin = signed_in(world)
    token = csrf(admin, "/admin/ask/")
    bad = admin.post("/admin/ask/", data={"question": "why", "segment": "plan", "csrf_token": token})
    assert bad.status_code == 200 and "traits.&lt;name&gt;=&lt;value&gt;" in bad.get_data(as_text=True)
    empty = admin.post("/admin/ask/", data={"question": " ", "csrf_token": token})
    assert "Ask a question" in empty.get_data(as_text=True)
    assert admin.post("/admin/ask/", data={"question": "why"}).status_code == 400
    assert world.app.test_client().get("/admin/ask/").status_code == 302  # signed out: to the login
