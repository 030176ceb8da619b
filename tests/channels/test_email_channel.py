"""The `email` channel against a real SMTP server (the aiosmtpd fake), read back over its HTTP API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from connectors.email.compose import message_id
from connectors.email.fake import MESSAGES_PATH, EmailFake
from connectors.email.fake import start as start_mail
from connectors.registry import get_connector, with_capability, with_fake
from connectors.sdk import Capability, ConfigError, ConfigProblem, Recipient, TransientError
from tests.channels.conftest import invite
from tests.http.conftest import closed_port

EMAIL = get_connector("email")
CHANNEL = EMAIL.channel
assert CHANNEL is not None


@pytest.fixture
def mail() -> Iterator[EmailFake]:
    with start_mail() as server:
        yield server


def settings(fake: EmailFake, **changes: Any) -> dict[str, Any]:
    return EMAIL.prepare_config({**fake.credentials, "from_name": "Research Team", **changes})


def received(fake: EmailFake) -> list[dict[str, Any]]:
    answer = requests.get(fake.base_url + MESSAGES_PATH, timeout=5)
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def person(email: str | None, name: str | None = "Grace Hopper") -> Recipient:
    return Recipient(profile_id=9, email=email, name=name)


def test_an_invite_arrives_as_text_and_html_with_a_stable_id_and_one_click_unsubscribe(
    outbound_app: Flask, mail: EmailFake
) -> None:
    message = invite(42)
    receipt = CHANNEL.send(settings(mail), message)
    (got,) = received(mail)
    headers = got["headers"]
    assert (got["mail_from"], got["rcpt_tos"]) == ("research@journeyhub.test", ["ada@example.com"])
    assert headers["From"] == "Research Team <research@journeyhub.test>"
    assert headers["To"] == "Ada Lovelace <ada@example.com>"
    assert headers["Subject"] == message.subject
    assert headers["Message-ID"] == message_id(message.idempotency_key) == receipt.provider_id
    assert headers["Message-ID"].startswith("<invite-42-a1b2c3.") and headers["Message-ID"].endswith(
        "@journeyhub>"
    )
    assert headers["List-Unsubscribe"] == "<https://hub.example.com/u/unsub-tok>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["content_type"] == "multipart/alternative"
    assert got["text"].strip() == message.text
    assert got["html"].strip() == message.html
    assert receipt.detail == {"message_id": headers["Message-ID"], "to": "ada@example.com"}


def test_a_resend_carries_the_first_attempts_message_id(outbound_app: Flask, mail: EmailFake) -> None:
    """Mail systems that deduplicate on Message-ID show a resent invite once."""
    config = settings(mail)
    CHANNEL.send(config, invite(42))
    CHANNEL.send(config, invite(42, subject="Five minutes about your trial? (again)"))
    CHANNEL.send(config, invite(43))
    ids = [got["message_id"] for got in received(mail)]
    assert ids[0] == ids[1] != ids[2]
    assert CHANNEL.lookup(config, invite(42)) is None


def test_a_text_only_invite_is_plain_text(outbound_app: Flask, mail: EmailFake) -> None:
    CHANNEL.send(settings(mail), invite(html=None))
    (got,) = received(mail)
    assert (got["content_type"], got["html"]) == ("text/plain", None)


def test_line_breaks_in_rendered_headers_cannot_add_headers(outbound_app: Flask, mail: EmailFake) -> None:
    message = invite(subject="Hello\r\nBcc: everyone@example.com", recipient=person("g@example.com", "G\nH"))
    CHANNEL.send(settings(mail), message)
    (got,) = received(mail)
    assert "Bcc" not in got["headers"] and got["rcpt_tos"] == ["g@example.com"]
    assert got["headers"]["Subject"] == "Hello Bcc: everyone@example.com"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_encrypted_servers_deliver_and_check(outbound_app: Flask, security: str) -> None:
    with start_mail(security=security) as secure:
        config = settings(secure)
        check = EMAIL.test_connection(config)
        assert check.ok, check.message
        assert f"encrypted ({security})" in check.message and "logged in as journeyhub" in check.message
        CHANNEL.send(config, invite())
        assert len(received(secure)) == 1


def test_a_server_that_demands_starttls_refuses_plain_text(outbound_app: Flask) -> None:
    with start_mail(security="starttls") as secure:
        with pytest.raises(ConfigError, match="530"):
            CHANNEL.send(settings(secure, security="none"), invite())
        assert received(secure) == []


def test_an_untrusted_certificate_is_a_settings_problem(outbound_app: Flask) -> None:
    with start_mail(security="tls") as secure:
        config = settings(secure)
        del config["ca_bundle"]
        with pytest.raises(ConfigError, match="certificate is not trusted"):
            CHANNEL.send(config, invite())


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (550, ConfigError),
        (553, ConfigError),
        (554, ConfigError),
        (451, TransientError),
        (452, TransientError),
    ],
)
def test_a_refused_recipient_is_classified_by_its_reply_code(
    outbound_app: Flask, mail: EmailFake, code: int, error: type[Exception]
) -> None:
    mail.reject("grace@example.com", code)
    with pytest.raises(error, match=f"server said: {code} ") as caught:
        CHANNEL.send(settings(mail), invite(recipient=person("grace@example.com")))
    assert isinstance(caught.value, ConfigError) == (code >= 500)
    assert received(mail) == []


def test_greylisting_passes_on_the_next_attempt(outbound_app: Flask, mail: EmailFake) -> None:
    mail.reject("grace@example.com", 451, times=1)
    message = invite(recipient=person("grace@example.com"))
    with pytest.raises(TransientError, match="451"):
        CHANNEL.send(settings(mail), message)
    CHANNEL.send(settings(mail), message)
    assert [got["rcpt_tos"] for got in received(mail)] == [["grace@example.com"]]


def test_rejections_can_be_set_over_http(outbound_app: Flask, mail: EmailFake) -> None:
    answer = requests.post(
        mail.base_url + "/_fake/rejections", json={"address": "Grace@Example.com", "code": 550}, timeout=5
    )
    assert answer.status_code == 201
    with pytest.raises(ConfigError, match="550"):
        CHANNEL.send(settings(mail), invite(recipient=person("grace@example.com")))


def test_wrong_credentials_are_a_settings_problem_that_never_shows_the_password(
    outbound_app: Flask, mail: EmailFake
) -> None:
    config = settings(mail, password="Wr0ng-pa55word-value")
    with pytest.raises(ConfigError, match="credentials were rejected") as caught:
        CHANNEL.send(config, invite())
    assert "535" in str(caught.value) and "Wr0ng-pa55word-value" not in str(caught.value)
    check = EMAIL.test_connection(config)
    assert not check.ok and "credentials were rejected" in check.message
    assert "Wr0ng-pa55word-value" not in check.message and mail.password not in check.message


def test_a_server_that_wants_a_login_says_so(outbound_app: Flask, mail: EmailFake) -> None:
    config = settings(mail)
    del config["username"], config["password"]
    with pytest.raises(ConfigError, match="530"):
        CHANNEL.send(config, invite())


@pytest.mark.parametrize(
    "address", [None, "", "not-an-address", "ada@localhost", "a b@example.com", "x@y@z.com"]
)
def test_a_missing_or_unusable_address_fails_before_connecting(
    outbound_app: Flask, mail: EmailFake, address: str | None
) -> None:
    with pytest.raises(ConfigError, match="profile 9 has"):
        CHANNEL.send(settings(mail), invite(recipient=person(address)))
    assert mail.messages() == []


def test_a_closed_port_is_transient(outbound_app: Flask, mail: EmailFake) -> None:
    with pytest.raises(TransientError, match="could not talk to the mail server"):
        CHANNEL.send(settings(mail, port=closed_port()), invite())


def test_a_server_that_never_greets_times_out_as_transient(outbound_app: Flask, mail: EmailFake) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(TransientError, match="did not answer in time"):
            CHANNEL.send(settings(mail, port=port, timeout_s=1), invite())


def test_loopback_is_refused_unless_an_operator_allows_it(guarded_app: Flask, mail: EmailFake) -> None:
    with pytest.raises(ConfigError, match="refusing to call 127.0.0.1"):
        CHANNEL.send(settings(mail), invite())
    check = EMAIL.test_connection(settings(mail))
    assert not check.ok and "refusing to call 127.0.0.1" in check.message
    assert mail.messages() == []


def test_the_declaration() -> None:
    assert "email" in with_capability(Capability.DESTINATION) and "email" in with_fake()
    assert EMAIL.spec.secret_fields == {"password"}
    defaults = EMAIL.prepare_config({"host": "smtp.example.com", "from_address": "r@example.com"})
    assert (defaults["port"], defaults["security"]) == (587, "starttls")
    with pytest.raises(ConfigProblem) as caught:
        EMAIL.prepare_config({"host": "smtp.example.com", "from_address": "r@example.com", "security": "ssl"})
    assert caught.value.problems == {"security": "must be one of starttls, tls, none"}
    with pytest.raises(ConfigProblem, match="from_address"):
        EMAIL.prepare_config({"host": "smtp.example.com", "from_address": "research"})
    with pytest.raises(ConfigProblem, match="username"):
        EMAIL.prepare_config({"host": "h.example.com", "from_address": "r@example.com", "password": "p"})


def test_journeyhub_fake_email_prints_its_settings_and_shows_what_arrives(outbound_app: Flask) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "fake", "email"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        described = json.loads(process.stdout.readline())
        assert described["cohorts"] == [] and described["messages"].endswith(MESSAGES_PATH)
        config = EMAIL.prepare_config(described["credentials"])
        CHANNEL.send(config, invite(7))
        line = process.stderr.readline()
        assert message_id(invite(7).idempotency_key) in line and "ada@example.com" in line
        assert requests.get(described["messages"], timeout=5).json()[0]["rcpt_tos"] == ["ada@example.com"]
    finally:
        process.terminate()
        process.wait(timeout=10)
