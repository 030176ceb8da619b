"""Signed links: `/i/<token>` leads to the interview with its signed context; `/u/<token>` opts out."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db
from hub.models import Invite, Profile
from hub.outbox.outcomes import CONFIG_KEY
from recipes.campaigns.links import (
    LinkProblem,
    invite_token,
    read_invite,
    read_unsubscribe,
    unsubscribe_token,
)
from recipes.campaigns.optout import RULE_NAME, TRAIT
from recipes.engine.saving import workspace
from tests.delivery.conftest import Seeded, due_invites, invite_row, webhook_campaign

INTERVIEW = "https://interviews.example.com/s/trial?lang=en"


@pytest.fixture
def seeded(app: Flask) -> Seeded:
    app.config[CONFIG_KEY] = {"batch": 0}  # nothing is sent: these tests follow links by hand
    return webhook_campaign(app, "http://127.0.0.1:9/unused")


def token_for(app: Flask, invite_id: int, context: dict[str, object], days: int = 30) -> str:
    with app.app_context():
        return invite_token(invite_id, context, days)


def test_a_token_carries_its_context_signed_and_each_purpose_has_its_own_salt(app: Flask) -> None:
    with app.app_context():
        token = invite_token(7, {"plan": "pro", "seats": 3}, 30)
        assert read_invite(token).context == {"plan": "pro", "seats": 3}
        assert read_invite(token).invite_id == 7
        assert "pro" not in token  # signed and encoded, not plain text
        with pytest.raises(LinkProblem, match="not valid"):
            read_unsubscribe(token)
        with pytest.raises(LinkProblem, match="not valid"):
            read_invite(unsubscribe_token(1, 7))
        payload, _, signature = token.rpartition(".")
        with pytest.raises(LinkProblem, match="altered"):
            read_invite(f"{payload}.{signature[:-2]}xx")


def test_a_link_expires_after_the_campaign_s_days(app: Flask) -> None:
    with app.app_context():
        token = invite_token(7, {}, 2)
        assert read_invite(token, now=time.time() + 2 * 86_400 - 60).invite_id == 7
        with pytest.raises(LinkProblem, match="expired: it was valid for 2 days"):
            read_invite(token, now=time.time() + 2 * 86_400 + 60)


def test_a_link_signed_by_another_hub_is_not_valid_here(app: Flask, tmp_path: object) -> None:
    from tests.conftest import close_app, make_app

    other = make_app(tmp_path / "other", f"sqlite:///{tmp_path}/other.db")  # type: ignore[operator]
    try:
        foreign = token_for(other, 1, {})
    finally:
        close_app(other)
    with app.app_context(), pytest.raises(LinkProblem):
        read_invite(foreign)


def test_following_a_link_marks_the_invite_opened_and_redirects_with_context(
    app: Flask, client: FlaskClient, seeded: Seeded
) -> None:
    (invite_id,) = due_invites(app, seeded)
    token = token_for(app, invite_id, {"plan": "pro", "trial": True, "seats": 3, "lang": "de"})
    answer = client.get(f"/i/{token}")
    assert answer.status_code == 302
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == INTERVIEW.split("?")[0]
    query = parse_qs(target.query)
    assert query == {
        "lang": ["de"],  # the signed context wins over the URL's own value
        "plan": ["pro"],
        "trial": ["true"],
        "seats": ["3"],
        "invite_token": [token],
    }
    assert invite_row(app, invite_id).status == "opened"
    assert client.get(f"/i/{token}").status_code == 302  # a second visit still leads there


@pytest.mark.parametrize("mangle", ["tamper", "truncate", "garbage", "huge"])
def test_a_bad_link_gets_a_400_page_and_no_redirect(
    app: Flask, client: FlaskClient, seeded: Seeded, mangle: str
) -> None:
    (invite_id,) = due_invites(app, seeded)
    token = token_for(app, invite_id, {"plan": "pro"})
    bad = {
        "tamper": token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),
        "truncate": token[: len(token) // 2],
        "garbage": "not-a-token",
        "huge": "x" * 5000,
    }[mangle]
    answer = client.get(f"/i/{bad}")
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert answer.mimetype == "text/html" and "not valid" in answer.get_data(as_text=True)
    assert invite_row(app, invite_id).status == "pending"


def test_a_link_to_an_invite_that_is_gone_gets_a_400_page(app: Flask, client: FlaskClient) -> None:
    gone = token_for(app, 2**40, {})
    answer = client.get(f"/i/{gone}")
    assert answer.status_code == 400 and "no longer available" in answer.get_data(as_text=True)


def test_an_expired_link_is_refused(
    app: Flask, client: FlaskClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    (invite_id,) = due_invites(app, seeded)
    token = token_for(app, invite_id, {}, days=1)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 86_400 + 5)
    answer = client.get(f"/i/{token}")
    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)
    assert "Location" not in answer.headers


def test_unsubscribing_asks_on_get_and_opts_out_on_post(
    app: Flask, client: FlaskClient, seeded: Seeded
) -> None:
    first, second = due_invites(app, seeded, count=2)
    invite = invite_row(app, first)
    with app.app_context():
        later = db.session.get(Invite, second)
        assert later is not None
        later.profile_id, later.status = invite.profile_id, "scheduled"
        db.session.commit()
        token = unsubscribe_token(invite.profile_id, first)
    asked = client.get(f"/u/{token}")
    assert asked.status_code == 200 and '<form method="post">' in asked.get_data(as_text=True)
    with app.app_context():
        profile = db.session.get(Profile, invite.profile_id)
        assert profile is not None and TRAIT not in profile.traits

    done = client.post(
        f"/u/{token}", data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and "opted out" in done.get_data(as_text=True)
    with app.app_context():
        profile = db.session.get(Profile, invite.profile_id)
        assert (
            profile is not None
            and profile.traits[TRAIT] is True
            and profile.traits["email"] == "p0@example.com"
        )
    assert invite_row(app, second).status == "expired"
    with app.app_context():
        assert [rule["name"] for rule in workspace().suppression["rules"]] == [RULE_NAME]
    assert client.post(f"/u/{token}").status_code == 200  # twice is fine, and adds no second rule
    with app.app_context():
        assert [r["name"] for r in workspace().suppression["rules"]] == [RULE_NAME]


def test_a_bad_unsubscribe_link_gets_a_400_page(app: Flask, client: FlaskClient) -> None:
    for method in ("get", "post"):
        answer = getattr(client, method)("/u/eyJwIjoxfQ.forged")
        assert answer.status_code == 400 and "not valid" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile)) == 0
