"""An invite's way out over the webhook channel, to a real local HTTP sink, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Request

from connectors.sdk import standard_webhooks as signature
from hub.db import db
from hub.models import Campaign, Invite, Outbox, RunStep
from hub.outbox.outcomes import CONFIG_KEY
from hub.outbox.replay import replay
from hub.outbox.worker import drain
from recipes.campaigns.links import unsubscribe_token
from tests.channels.conftest import Reply, Sink
from tests.delivery.conftest import (
    SECRET,
    due_invites,
    invite_row,
    make_due,
    outbox_row,
    webhook_campaign,
)


def run_drain(app: Flask) -> int:
    """Lets the drain job the commit woke finish, then drains once more here; answers what this one sent."""
    assert app.extensions["journeyhub.jobs"].drain(10)
    with app.app_context():
        return drain()


def test_a_due_invite_is_posted_signed_once_and_marked_sent_with_its_receipt(app: Flask, sink: Sink) -> None:
    seeded = webhook_campaign(app, sink.url + "/in")
    (invite_id,) = due_invites(app, seeded, company_size=40)
    assert outbox_row(app, invite_id).status == "pending"

    run_drain(app)
    assert run_drain(app) == 0
    (seen,) = sink.received
    assert seen.headers["Webhook-Id"] == f"invite-{invite_id}"
    headers = {k.lower(): v for k, v in seen.headers.items()}
    signature.verify(SECRET, headers, seen.body, datetime.now(UTC), timedelta(minutes=5))
    body = seen.json()
    assert body["type"] == "invite" and body["invite"]["id"] == invite_id
    assert body["subject"] == "About your trial, P0"
    assert body["context"] == {"company_size": 40, "plan": "pro", "event": "trial_expired"}
    assert body["invite"]["link"].startswith("http://127.0.0.1:5000/i/")

    row, invite = outbox_row(app, invite_id), invite_row(app, invite_id)
    assert (row.status, row.attempts, row.last_error, row.claimed_by) == ("sent", 1, None, None)
    assert row.result is not None and row.result["channel"] == "webhook"
    assert row.result["detail"]["webhook_id"] == f"invite-{invite_id}"
    assert invite.status == "sent" and invite.sent_at is not None
    assert invite.link == body["invite"]["link"]


def test_the_link_in_the_payload_leads_to_the_interview_with_its_context(
    app: Flask, client: FlaskClient, sink: Sink
) -> None:
    seeded = webhook_campaign(app, sink.url)
    (invite_id,) = due_invites(app, seeded, company_size="11-50")
    run_drain(app)
    link = sink.received[0].json()["invite"]["link"]
    answer = client.get(urlsplit(link).path)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert (target.netloc, target.path) == ("interviews.example.com", "/s/trial")
    query = parse_qs(target.query)
    assert query["lang"] == ["en"] and query["company_size"] == ["11-50"] and query["plan"] == ["pro"]
    assert query["event"] == ["trial_expired"]
    assert query["invite_token"] == [link.rsplit("/", 1)[1]]
    assert invite_row(app, invite_id).status == "opened"


def test_a_server_error_is_retried_later_with_the_same_webhook_id_and_one_invite(
    app: Flask, sink: Sink
) -> None:
    seeded = webhook_campaign(app, sink.url)
    (invite_id,) = due_invites(app, seeded)
    sink.reply(Reply(status=503))
    before = datetime.now(UTC)
    run_drain(app)
    row = outbox_row(app, invite_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and "503" in row.last_error
    assert row.next_attempt_at is not None
    assert timedelta(seconds=47) <= row.next_attempt_at - before <= timedelta(seconds=73)  # 1 min +- 20%
    assert invite_row(app, invite_id).status == "pending"
    assert run_drain(app) == 0  # not due yet

    make_due(app, invite_id)
    run_drain(app)
    first, second = sink.received
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"] == f"invite-{invite_id}"
    row = outbox_row(app, invite_id)
    assert (row.status, row.attempts) == ("sent", 2)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invite)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Outbox)) == 1
        steps = db.session.scalars(
            sa.select(RunStep).where(RunStep.name == f"outbox:{row.id}").order_by(RunStep.id)
        )
        assert [(s.status, s.detail["attempt"]) for s in steps] == [("retry", 1), ("sent", 2)]


def test_a_rate_limit_waits_what_the_receiver_asked(app: Flask, sink: Sink) -> None:
    seeded = webhook_campaign(app, sink.url)
    (invite_id,) = due_invites(app, seeded)
    sink.reply(Reply(status=429, headers={"Retry-After": "120"}))
    before = datetime.now(UTC)
    run_drain(app)
    row = outbox_row(app, invite_id)
    assert row.status == "pending" and row.next_attempt_at is not None
    assert timedelta(seconds=119) <= row.next_attempt_at - before <= timedelta(seconds=125)


def test_a_refusal_fails_at_once_and_the_last_retry_leaves_the_row_dead(app: Flask, sink: Sink) -> None:
    app.config[CONFIG_KEY] = {"schedule_s": (0, 0)}
    seeded = webhook_campaign(app, sink.url)
    refused, unlucky = due_invites(app, seeded, count=2)

    def answer(request: Request) -> Reply:
        return Reply(status=400 if request.headers["webhook-id"] == f"invite-{refused}" else 500)

    sink.reply(*[answer] * 4)
    for _ in range(4):
        run_drain(app)
    row = outbox_row(app, refused)
    assert (row.status, row.attempts) == ("failed", 1) and "400" in (row.last_error or "")
    assert invite_row(app, refused).status == "failed"
    row = outbox_row(app, unlucky)
    assert (row.status, row.attempts) == ("dead", 3) and "500" in (row.last_error or "")
    assert invite_row(app, unlucky).status == "failed"
    assert len(sink.received) == 4


def test_an_opt_out_between_scheduling_and_sending_stops_the_send(
    app: Flask, client: FlaskClient, sink: Sink
) -> None:
    app.config[CONFIG_KEY] = {"batch": 0}  # workers take nothing until the person has opted out
    seeded = webhook_campaign(app, sink.url)
    (invite_id,) = due_invites(app, seeded)
    invite = invite_row(app, invite_id)
    with app.app_context():
        token = unsubscribe_token(invite.profile_id, invite_id)
    assert client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    app.config[CONFIG_KEY] = {}
    run_drain(app)
    assert sink.received == []
    row = outbox_row(app, invite_id)
    assert row.status == "failed" and row.last_error == "not sent: the person opted out of research"
    assert invite_row(app, invite_id).status == "expired"


def test_a_campaign_without_a_connection_fails_the_row_and_its_invite_waits_for_a_replay(
    app: Flask, sink: Sink
) -> None:
    seeded = webhook_campaign(app, sink.url, connection_id=None)
    (invite_id,) = due_invites(app, seeded)
    run_drain(app)
    row = outbox_row(app, invite_id)
    assert row.status == "failed" and "no connection" in (row.last_error or "")
    assert invite_row(app, invite_id).status == "pending"
    with app.app_context():
        campaign = db.session.get(Campaign, seeded.campaign_id)
        assert campaign is not None
        campaign.definition = {**campaign.definition, "connection_id": seeded.connection_id}
        db.session.commit()
        assert replay(db.session, Outbox.id == row.id) == 1
    run_drain(app)
    assert outbox_row(app, invite_id).status == "sent" and invite_row(app, invite_id).status == "sent"
    assert [seen.headers["Webhook-Id"] for seen in sink.received] == [f"invite-{invite_id}"]
