"""The `intercom` channel against the Intercom fake: messages to contacts, and asking whether one arrived."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from connectors.intercom import fake as intercom_fake
from connectors.intercom.fake import IntercomFake
from connectors.intercom.messages import marker
from connectors.registry import get_connector, with_capability
from connectors.sdk import ConfigError, ConfigProblem, RateLimited, Recipient, TransientError
from connectors.sdk.spec import Capability
from tests.channels.conftest import invite
from tests.fakes.support import calls, received
from tests.http.conftest import closed_port

INTERCOM = get_connector("intercom")
CHANNEL = INTERCOM.channel
assert CHANNEL is not None


@pytest.fixture
def fake() -> Iterator[IntercomFake]:
    with intercom_fake.start(members=20, seed=5) as server:
        yield server


def settings(fake: IntercomFake, **changes: Any) -> dict[str, Any]:
    return INTERCOM.prepare_config({**fake.credentials, **changes})


def contact_of(fake: IntercomFake, index: int = 3) -> tuple[str, str]:
    contact_id = fake.member_id(index)
    return contact_id, str(fake.person(contact_id).email)


def known(fake: IntercomFake, index: int = 3) -> Recipient:
    """A person the hub knows by their Intercom contact id (kept per connection: `<connection id>:<id>`)."""
    contact_id, email = contact_of(fake, index)
    return Recipient(
        profile_id=5, email=email, name="Ada", identities={"intercom_contact": f"12:{contact_id}"}
    )


def test_an_invite_is_an_admin_message_to_the_contact(outbound_app: Flask, fake: IntercomFake) -> None:
    message = invite(42, recipient=known(fake))
    receipt = CHANNEL.send(settings(fake), message)
    (sent,) = fake.sent
    contact_id, _ = contact_of(fake)
    assert calls(fake) == [("GET", f"/contacts/{contact_id}"), ("GET", "/me"), ("POST", "/messages")]
    assert sent["to"] == {"type": "user", "id": contact_id}
    assert (sent["message_type"], sent["subject"], sent["template"]) == ("email", message.subject, "plain")
    assert sent["owner"]["id"] == fake.admin_id
    assert message.html is not None and message.html in sent["body"]
    assert f"ref {marker(message.idempotency_key)}" in sent["body"]
    assert receipt.provider_id == sent["id"]
    assert receipt.detail == {
        "conversation_id": sent["conversation_id"],
        "contact_id": contact_id,
        "message_type": "email",
    }
    posted = received(fake)[-1]["json"]
    assert posted["from"] == {"type": "admin", "id": fake.admin_id}
    assert posted["create_conversation_without_contact_reply"] is True


def test_a_person_known_only_by_email_is_found_by_contact_search(
    outbound_app: Flask, fake: IntercomFake
) -> None:
    contact_id, email = contact_of(fake, 7)
    config = settings(fake, admin_id=fake.admin_id, message_type="inapp")
    CHANNEL.send(config, invite(recipient=Recipient(profile_id=8, email=email)))
    assert calls(fake) == [("POST", "/contacts/search"), ("POST", "/messages")]
    assert (fake.sent[0]["to"]["id"], fake.sent[0]["message_type"]) == (contact_id, "inapp")


def test_an_unknown_contact_id_falls_back_to_the_email(outbound_app: Flask, fake: IntercomFake) -> None:
    contact_id, email = contact_of(fake, 4)
    person = Recipient(
        profile_id=8, email=email, identities={"intercom_contact": "12:64ffffff0000000000000999"}
    )
    CHANNEL.send(settings(fake, admin_id=fake.admin_id), invite(recipient=person))
    assert fake.sent[0]["to"]["id"] == contact_id


def test_a_person_intercom_does_not_know_fails_at_once(outbound_app: Flask, fake: IntercomFake) -> None:
    nobody = Recipient(profile_id=8, email="nobody@nowhere.example")
    with pytest.raises(ConfigError, match="profile 8 has no Intercom contact"):
        CHANNEL.send(settings(fake), invite(recipient=nobody))
    assert fake.sent == [] and CHANNEL.lookup(settings(fake), invite(recipient=nobody)) is None


def test_lookup_finds_the_first_attempt_and_only_it(outbound_app: Flask, fake: IntercomFake) -> None:
    """The worker asks before resending: an invite that arrived is found by its marker, others are not."""
    config, message = settings(fake), invite(42, recipient=known(fake))
    assert CHANNEL.lookup(config, message) is None
    sent = CHANNEL.send(config, message)
    found = CHANNEL.lookup(config, message)
    assert found is not None and found.provider_id == sent.provider_id
    assert found.detail["conversation_id"] == sent.detail["conversation_id"]
    assert found.detail["found_by"] == "conversation search"
    assert CHANNEL.lookup(config, invite(43, recipient=known(fake))) is None
    assert CHANNEL.lookup(config, invite(42, recipient=known(fake, 4))) is None
    assert ("POST", "/conversations/search") in calls(fake)


def test_a_rate_limit_waits_for_intercoms_reset(outbound_app: Flask, fake: IntercomFake) -> None:
    fake.inject_fault(429, after=1, retry_after=7)
    with pytest.raises(RateLimited) as caught:
        CHANNEL.send(settings(fake, admin_id=fake.admin_id), invite(recipient=known(fake)))
    assert caught.value.retry_after is not None and 5 <= caught.value.retry_after <= 8
    assert calls(fake)[-1] == ("POST", "/messages") and fake.sent == []


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_transient_and_sent_once(
    outbound_app: Flask, fake: IntercomFake, status: int
) -> None:
    fake.inject_fault(status, after=1)
    with pytest.raises(TransientError, match=f"HTTP {status}") as caught:
        CHANNEL.send(settings(fake, admin_id=fake.admin_id), invite(recipient=known(fake)))
    assert not isinstance(caught.value, RateLimited)
    assert calls(fake).count(("POST", "/messages")) == 1


def test_a_wrong_token_fails_at_once_without_showing_it(outbound_app: Flask, fake: IntercomFake) -> None:
    token = "dG9rOndyb25nLXRva2VuLXZhbHVl"
    with pytest.raises(ConfigError, match="credentials were rejected") as caught:
        CHANNEL.send(settings(fake, access_token=token), invite(recipient=known(fake)))
    assert token not in str(caught.value) and fake.token not in str(caught.value)


def test_a_wrong_admin_fails_at_once(outbound_app: Flask, fake: IntercomFake) -> None:
    with pytest.raises(ConfigError, match="HTTP 404.*Admin Not Found"):
        CHANNEL.send(settings(fake, admin_id="123"), invite(recipient=known(fake)))


def test_an_email_to_a_contact_without_one_fails_at_once(outbound_app: Flask, fake: IntercomFake) -> None:
    person = known(fake)
    fake.set_email(fake.member_id(3), None)
    with pytest.raises(ConfigError, match="HTTP 400.*no email"):
        CHANNEL.send(settings(fake, admin_id=fake.admin_id), invite(recipient=person))


def test_an_unreachable_intercom_is_transient(outbound_app: Flask, fake: IntercomFake) -> None:
    config = settings(fake, base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(TransientError, match="could not connect"):
        CHANNEL.send(config, invite(recipient=known(fake)))


def test_loopback_is_refused_unless_an_operator_allows_it(guarded_app: Flask, fake: IntercomFake) -> None:
    with pytest.raises(ConfigError, match="refusing to call 127.0.0.1"):
        CHANNEL.send(settings(fake), invite(recipient=known(fake)))
    assert fake.request_count == 0


def test_the_declaration() -> None:
    assert "intercom" in with_capability(Capability.DESTINATION)
    defaults = INTERCOM.prepare_config({"access_token": "t"})
    assert defaults["message_type"] == "email" and "admin_id" not in defaults
    with pytest.raises(ConfigProblem) as caught:
        INTERCOM.prepare_config({"access_token": "t", "message_type": "in_app"})
    assert caught.value.problems == {"message_type": "must be one of email, inapp"}
    assert marker("invite-1.x") == marker("invite-1.x") != marker("invite-2.x")
