"""Invites and the outbox through the API: lists with filters, each attempt as a run step, replay."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from hub.outbox.outcomes import CONFIG_KEY
from tests.api.test_hostile_input import assert_error
from tests.channels.conftest import Reply, Sink
from tests.delivery.conftest import due_invites, outbox_row, webhook_campaign
from tests.delivery.test_delivery import run_drain


def test_outbox_rows_are_listed_filtered_and_read_with_every_attempt(
    app: Flask, api: FlaskClient, sink: Sink
) -> None:
    app.config[CONFIG_KEY] = {"schedule_s": ()}  # one attempt, then dead
    seeded = webhook_campaign(app, sink.url)
    good, bad = due_invites(app, seeded, count=2)
    sink.reply(*[lambda r: Reply(status=503 if r.headers["webhook-id"] == f"invite-{bad}" else 200)] * 2)
    run_drain(app)
    listed = api.get("/api/v1/outbox").json
    assert listed["next_cursor"] is None
    assert {(row["idempotency_key"], row["status"]) for row in listed["items"]} == {
        (f"invite-{good}", "sent"),
        (f"invite-{bad}", "dead"),
    }
    dead = api.get("/api/v1/outbox", query_string={"status": "dead", "kind": "invite"}).json["items"]
    assert [row["idempotency_key"] for row in dead] == [f"invite-{bad}"]
    assert dead[0]["target"] == f"webhook:{seeded.connection_id}" and "503" in dead[0]["last_error"]
    assert api.get("/api/v1/outbox", query_string={"kind": "action"}).json["items"] == []

    one = api.get(f"/api/v1/outbox/{dead[0]['id']}").json
    (step,) = one["steps"]
    assert step["status"] == "dead" and "503" in step["error"]
    assert step["detail"]["attempt"] == 1 and step["detail"]["outcome"].startswith("gave up after attempt 1")

    invite = api.get(f"/api/v1/invites/{good}").json
    assert invite["status"] == "sent" and invite["sent_at"] is not None and invite["link"].startswith("http")
    assert invite["delivery"]["status"] == "sent"
    assert [s["status"] for s in invite["delivery"]["steps"]] == ["sent"]
    outcome = invite["delivery"]["steps"][0]["detail"]["outcome"]
    assert outcome == f"sent by webhook to connection {seeded.connection_id} (out-{sink.url})"


def test_a_dead_row_is_replayed_and_sent_while_a_sent_row_is_not(
    app: Flask, api: FlaskClient, sink: Sink
) -> None:
    app.config[CONFIG_KEY] = {"schedule_s": ()}
    seeded = webhook_campaign(app, sink.url)
    (invite_id,) = due_invites(app, seeded)
    sink.reply(Reply(status=500))
    run_drain(app)
    row = outbox_row(app, invite_id)
    assert row.status == "dead"
    assert api.get(f"/api/v1/invites/{invite_id}").json["status"] == "failed"

    app.config[CONFIG_KEY] = {"batch": 0}  # the replayed row waits until this test looks at it
    replayed = api.post(f"/api/v1/outbox/{row.id}/replay")
    assert replayed.status_code == 200 and replayed.json["status"] == "pending"
    assert replayed.json["attempts"] == 0 and "500" in replayed.json["last_error"]
    app.config[CONFIG_KEY] = {"schedule_s": ()}
    run_drain(app)
    row = outbox_row(app, invite_id)
    assert (row.status, row.attempts) == ("sent", 1)
    assert [r.headers["Webhook-Id"] for r in sink.received] == [f"invite-{invite_id}"] * 2
    assert api.get(f"/api/v1/invites/{invite_id}").json["status"] == "sent"
    steps = api.get(f"/api/v1/outbox/{row.id}").json["steps"]
    assert [s["status"] for s in steps] == ["dead", "sent"]

    again = api.post(f"/api/v1/outbox/{row.id}/replay")
    assert assert_error(again, 409, "status")["code"] == "not_replayable"


def test_replay_by_status_and_kind_sends_every_matching_row_again(
    app: Flask, api: FlaskClient, sink: Sink
) -> None:
    app.config[CONFIG_KEY] = {"schedule_s": ()}
    seeded = webhook_campaign(app, sink.url)
    ids = due_invites(app, seeded, count=3)
    sink.reply(*[Reply(status=502)] * 3)
    run_drain(app)
    assert api.post("/api/v1/outbox/replay", json={"status": "failed"}).json == {"replayed": 0}
    assert api.post("/api/v1/outbox/replay", json={"status": "dead", "kind": "action"}).json == {
        "replayed": 0
    }
    assert api.post("/api/v1/outbox/replay", json={"status": "dead", "kind": "invite"}).json == {
        "replayed": 3
    }
    run_drain(app)
    assert {outbox_row(app, i).status for i in ids} == {"sent"}


def test_invites_are_listed_by_status_campaign_recipe_and_person(
    app: Flask, api: FlaskClient, sink: Sink
) -> None:
    app.config[CONFIG_KEY] = {"batch": 0}
    seeded = webhook_campaign(app, sink.url)
    first, second = due_invites(app, seeded, count=2)
    every = api.get("/api/v1/invites").json
    assert [i["id"] for i in every["items"]] == [second, first]
    assert {i["status"] for i in every["items"]} == {"pending"}
    assert api.get("/api/v1/invites", query_string={"status": "sent"}).json["items"] == []
    mine = api.get("/api/v1/invites", query_string={"campaign_id": seeded.campaign_id, "limit": 1}).json
    assert [i["id"] for i in mine["items"]] == [second] and mine["next_cursor"]
    rest = api.get(
        "/api/v1/invites", query_string={"campaign_id": seeded.campaign_id, "cursor": mine["next_cursor"]}
    )
    assert [i["id"] for i in rest.json["items"]] == [first]
    person = every["items"][1]["profile_id"]
    assert [
        i["id"] for i in api.get("/api/v1/invites", query_string={"profile_id": person}).json["items"]
    ] == [first]
    assert api.get("/api/v1/invites", query_string={"recipe_id": 5}).json["items"] == []
    detail = api.get(f"/api/v1/invites/{first}").json
    assert detail["delivery"]["status"] == "pending" and detail["delivery"]["steps"] == []


def test_hostile_filters_and_bodies_are_clear_400s(api: FlaskClient) -> None:
    assert_error(api.get("/api/v1/invites", query_string={"status": "lost"}), 400, "status")
    assert_error(api.get("/api/v1/invites", query_string={"campaign_id": str(2**63)}), 400, "campaign_id")
    assert_error(api.get("/api/v1/invites", query_string={"colour": "red"}), 400, "colour")
    assert_error(api.get("/api/v1/outbox", query_string={"status": "done"}), 400, "status")
    assert_error(api.get("/api/v1/outbox", query_string={"kind": "x" * 51}), 400, "kind")
    assert_error(api.post("/api/v1/outbox/replay", json={"status": "sent"}), 400, "status")
    assert_error(api.post("/api/v1/outbox/replay", json={"status": "dead", "extra": 1}), 400, "extra")
    assert_error(api.post("/api/v1/outbox/replay", json={}), 400, "status")
    assert_error(api.post("/api/v1/outbox/replay", json=["dead"]), 400)
    assert_error(api.post("/api/v1/outbox/replay", data="status=dead", content_type="text/plain"), 415)
    assert_error(api.post(f"/api/v1/outbox/{2**40}/replay"), 404)
    assert_error(api.get(f"/api/v1/invites/{2**63}"), 404)
