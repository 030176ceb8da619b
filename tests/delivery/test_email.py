"""Invites by email through the outbox, to a real local SMTP server (the aiosmtpd fake)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from connectors.email.fake import MESSAGES_PATH, EmailFake
from connectors.email.fake import start as start_mail
from hub.connections import create_connection
from hub.db import db
from hub.models import Profile
from recipes.campaigns.optout import TRAIT
from recipes.campaigns.schema import CampaignIn
from recipes.campaigns.service import save_campaign
from tests.delivery.conftest import Seeded, due_invites, invite_row, outbox_row
from tests.delivery.test_delivery import run_drain


@pytest.fixture
def mail() -> Iterator[EmailFake]:
    with start_mail() as server:
        yield server


def email_campaign(app: Flask, fake: EmailFake) -> Seeded:
    with app.app_context():
        settings = {**fake.credentials, "from_name": "Research Team"}
        connection = create_connection("email", "smtp", settings).connection
        db.session.commit()
        body = {
            "name": "Churn interviews",
            "interview_url": "https://interviews.example.com/s/churn",
            "channel": "email",
            "connection_id": connection.id,
            "subject": "{{ traits.first_name }}, five minutes about {{ campaign.name }}?",
            "body": "Hi {{ traits.first_name }} <3,\n\nplease tell us why:\n{{ link }}\n\nThanks",
        }
        return Seeded(connection.id, save_campaign(CampaignIn.model_validate(body)).id)


def received(fake: EmailFake) -> list[dict[str, object]]:
    answer = requests.get(fake.base_url + MESSAGES_PATH, timeout=5)
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def test_an_invite_email_has_both_parts_its_link_and_a_one_click_unsubscribe_that_works(
    app: Flask, client: FlaskClient, mail: EmailFake
) -> None:
    seeded = email_campaign(app, mail)
    (invite_id,) = due_invites(app, seeded, first_name="Ada")
    run_drain(app)
    (got,) = received(mail)
    headers = got["headers"]
    assert isinstance(headers, dict)
    assert got["rcpt_tos"] == ["p0@example.com"]
    assert got["subject"] == "Ada, five minutes about Churn interviews?"
    invite = invite_row(app, invite_id)
    assert invite.status == "sent" and invite.link is not None
    text, html = str(got["text"]), str(got["html"])
    assert "Hi Ada <3," in text and invite.link in text
    assert "Hi Ada &lt;3," in html and f'<a href="{invite.link}">' in html
    unsubscribe = headers["List-Unsubscribe"].strip().strip("<>")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text
    row = outbox_row(app, invite_id)
    assert row.status == "sent" and row.result is not None and row.result["channel"] == "email"
    assert f"invite-{invite_id}" in str(got["message_id"])

    one_click = client.post(
        urlsplit(unsubscribe).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    with app.app_context():
        person = db.session.get(Profile, invite.profile_id)
        assert person is not None and person.traits[TRAIT] is True


def test_a_refused_recipient_fails_the_row_and_the_invite_without_a_second_try(
    app: Flask, mail: EmailFake
) -> None:
    seeded = email_campaign(app, mail)
    mail.reject("p0@example.com", 550)
    (invite_id,) = due_invites(app, seeded)
    run_drain(app)
    row = outbox_row(app, invite_id)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in (row.last_error or "")
    assert invite_row(app, invite_id).status == "failed"
    assert received(mail) == []
