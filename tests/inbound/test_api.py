"""The events and profiles API, read back exactly as the inbound doors stored them."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.inbound.support import add_connection, basic


def track(app: Flask, key: str, message_id: str, **fields: Any) -> None:
    response = app.test_client().post(
        "/v1/track", json={"messageId": message_id, **fields}, headers=basic(key)
    )
    assert response.status_code == 200 and response.json["accepted"] == 1


def seed(app: Flask) -> tuple[int, int, str]:
    web, web_settings = add_connection(app, "tracking", "web")
    mobile, mobile_settings = add_connection(app, "tracking", "mobile")
    for day in range(1, 6):
        track(
            app,
            web_settings["write_key"],
            f"w{day}",
            userId="u-1",
            event="Viewed",
            timestamp=f"2026-01-0{day}T10:00:00Z",
        )
    track(
        app,
        mobile_settings["write_key"],
        "m1",
        userId="u-2",
        event="Opened",
        timestamp="2026-01-03T12:00:00+02:00",
    )
    return web, mobile, web_settings["write_key"]


def items(api: FlaskClient, query: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/events?{query}")
    assert response.status_code == 200, response.json
    return response.json["items"]  # type: ignore[no-any-return]


def test_events_filter_by_connection_name_profile_and_time(app: Flask, api: FlaskClient) -> None:
    web, mobile, _ = seed(app)
    assert [e["external_id"] for e in items(api, "")] == ["m1", "w5", "w4", "w3", "w2", "w1"]
    assert [e["external_id"] for e in items(api, f"connection_id={mobile}")] == ["m1"]
    assert len(items(api, "name=Viewed")) == 5
    opened = items(api, "name=Opened")[0]
    assert opened["occurred_at"].startswith("2026-01-03T10:00:00")
    assert [e["external_id"] for e in items(api, f"profile_id={opened['profile_id']}")] == ["m1"]
    window = items(api, "since=2026-01-02T10:00:00Z&until=2026-01-04T10:00:00")
    assert [e["external_id"] for e in window] == ["m1", "w3", "w2"]
    assert items(api, f"connection_id={web}&since=2026-01-05T00:00:00%2B00:00")[0]["external_id"] == "w5"
    bad = api.get("/api/v1/events?since=last-week")
    assert bad.status_code == 400 and bad.json["error"]["details"][0]["field"] == "since"


def test_events_page_with_a_cursor_and_read_one_by_one(app: Flask, api: FlaskClient) -> None:
    seed(app)
    seen: list[str] = []
    cursor = ""
    while True:
        page = api.get(f"/api/v1/events?limit=4{cursor}").json
        seen += [e["external_id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == ["m1", "w5", "w4", "w3", "w2", "w1"]
    first = items(api, "name=Opened")[0]
    one = api.get(f"/api/v1/events/{first['id']}")
    assert one.status_code == 200 and one.json == first
    assert api.get("/api/v1/events/99999").status_code == 404


def test_profiles_show_identities_and_traits_and_find_by_identity(app: Flask, api: FlaskClient) -> None:
    _, _, key = seed(app)
    app.test_client().post(
        "/v1/identify",
        json={
            "userId": "u-1",
            "traits": {"email": "Kim@Example.com", "plan": "team", "timezone": "Asia/Tokyo"},
        },
        headers=basic(key),
    )
    listed = api.get("/api/v1/profiles").json["items"]
    assert len(listed) == 2
    found = api.get("/api/v1/profiles?identity=email:KIM@example.com").json["items"]
    assert len(found) == 1
    profile = api.get(f"/api/v1/profiles/{found[0]['id']}").json
    assert profile["traits"] == {"email": "Kim@Example.com", "plan": "team", "timezone": "Asia/Tokyo"}
    assert sorted((i["kind"], i["value"]) for i in profile["identities"]) == [
        ("email", "kim@example.com"), ("user_id", "u-1"),
    ]  # fmt: skip
    assert api.get("/api/v1/profiles?identity=user_id:nobody").json["items"] == []
    refused = api.get("/api/v1/profiles?identity=shoe_size:44")
    assert refused.status_code == 400 and refused.json["error"]["details"][0]["field"] == "identity"


def test_a_merged_away_profile_answers_404_naming_its_survivor(app: Flask, api: FlaskClient) -> None:
    _, settings = add_connection(app, "tracking")
    key = settings["write_key"]
    track(app, key, "a", anonymousId="anon-5", event="Landing")
    track(app, key, "b", userId="u-5", event="Login")
    survivor, merged = sorted(p["id"] for p in api.get("/api/v1/profiles").json["items"])
    app.test_client().post(
        "/v1/identify", json={"userId": "u-5", "anonymousId": "anon-5"}, headers=basic(key)
    )
    gone = api.get(f"/api/v1/profiles/{merged}")
    assert gone.status_code == 404
    assert gone.json["error"]["code"] == "merged"
    assert gone.json["error"]["details"] == {"survivor_id": survivor}
    followed = items(api, f"profile_id={merged}")  # an old id still finds the person's events
    assert [(e["name"], e["profile_id"]) for e in followed] == [
        ("identify", survivor), ("Login", survivor), ("Landing", survivor),
    ]  # fmt: skip
    assert api.get("/api/v1/profiles/424242").json["error"]["code"] == "not_found"


def test_the_api_needs_a_token(client: FlaskClient) -> None:
    for path in ("/api/v1/events", "/api/v1/events/1", "/api/v1/profiles", "/api/v1/profiles/1"):
        assert client.get(path).status_code == 401


def test_the_openapi_document_describes_events_and_profiles(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/profiles",
        "/api/v1/profiles/{profile_id}",
    } <= set(paths)
    parameters = {p["name"] for p in paths["/api/v1/events"]["get"]["parameters"]}
    assert {"connection_id", "name", "profile_id", "since", "until", "limit", "cursor"} <= parameters
