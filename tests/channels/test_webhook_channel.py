"""The `webhook` channel: a generic connection's url receives each invite signed per Standard Webhooks.

Every test posts to a real local HTTP sink; signatures are checked with the reference
`standardwebhooks` library when it is installed, else with our own verifier.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask

from connectors.registry import get_connector, with_capability
from connectors.sdk import Capability, ConfigError, ConfigProblem, RateLimited, TransientError
from connectors.sdk import standard_webhooks as signature
from tests.channels.conftest import Reply, Sink, invite
from tests.http.conftest import closed_port

SECRET = signature.new_secret()
GENERIC = get_connector("generic")
CHANNEL = GENERIC.channel
assert CHANNEL is not None


def config(url: str, **extra: Any) -> dict[str, Any]:
    return GENERIC.prepare_config({"secret": SECRET, "url": url, **extra})


def verify(headers: dict[str, str], body: bytes) -> Any:
    """What a receiver does with the delivery; raises when the signature does not hold."""
    try:
        from standardwebhooks import Webhook
    except ImportError:
        lower = {k.lower(): v for k, v in headers.items()}
        signature.verify(SECRET, lower, body, datetime.now(UTC), timedelta(minutes=5))
        return None
    return Webhook(SECRET).verify(body, {k.lower(): v for k, v in headers.items()})


def test_a_delivery_is_signed_json_that_a_standard_webhooks_receiver_accepts(
    outbound_app: Flask, sink: Sink
) -> None:
    message = invite(42)
    receipt = CHANNEL.send(config(sink.url + "/hooks/in"), message)
    (seen,) = sink.received
    assert (seen.method, seen.path) == ("POST", "/hooks/in")
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Webhook-Id"] == message.idempotency_key
    assert abs(int(seen.headers["Webhook-Timestamp"]) - time.time()) < 5
    assert seen.headers["Webhook-Signature"].startswith("v1,")
    verify(seen.headers, seen.body)
    assert seen.json() == message.payload
    assert receipt.detail == {"status": 200, "webhook_id": message.idempotency_key}


def test_a_retried_delivery_carries_the_same_webhook_id_and_a_fresh_signature(
    outbound_app: Flask, sink: Sink
) -> None:
    """Receivers deduplicate on webhook-id, so a retry after a lost answer is one event to them."""
    sink.reply(Reply(503, {"message": "busy"}), Reply(200))
    message, settings = invite(43), config(sink.url)
    with pytest.raises(TransientError):
        CHANNEL.send(settings, message)
    CHANNEL.send(settings, message)
    first, second = sink.received
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"] == message.idempotency_key
    assert first.body == second.body
    for seen in (first, second):
        verify(seen.headers, seen.body)
    assert CHANNEL.lookup(settings, message) is None


def test_tampering_breaks_the_signature(outbound_app: Flask, sink: Sink) -> None:
    CHANNEL.send(config(sink.url), invite())
    (seen,) = sink.received
    with pytest.raises(Exception, match=r"(?i)signature|match"):
        verify(seen.headers, seen.body.replace(b"42", b"43"))


@pytest.mark.parametrize(
    ("reply", "error", "retry_after"),
    [
        (Reply(429, {"message": "slow down"}, {"Retry-After": "7"}), RateLimited, 7.0),
        (Reply(503, "", {"Retry-After": "30"}), TransientError, 30.0),
        (Reply(500, "boom"), TransientError, None),
        (Reply(502, ""), TransientError, None),
        (Reply(507, ""), TransientError, None),
        (Reply(408, ""), TransientError, None),
    ],
    ids=["429", "503", "500", "502", "507", "408"],
)
def test_receiver_failures_are_worth_another_try(
    outbound_app: Flask, sink: Sink, reply: Reply, error: type[Exception], retry_after: float | None
) -> None:
    sink.reply(reply)
    with pytest.raises(error) as caught:
        CHANNEL.send(config(sink.url), invite())
    assert not isinstance(caught.value, ConfigError)
    assert caught.value.retry_after == retry_after
    assert len(sink.received) == 1, "a channel sends once; the outbox owns retries"


def test_a_rate_limit_reset_header_is_the_wait(outbound_app: Flask, sink: Sink) -> None:
    sink.reply(Reply(429, "", {"X-RateLimit-Reset": str(int(time.time()) + 20)}))
    with pytest.raises(RateLimited) as caught:
        CHANNEL.send(config(sink.url), invite())
    assert caught.value.retry_after is not None and 15 <= caught.value.retry_after <= 21


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 413, 422])
def test_a_refusal_fails_at_once(outbound_app: Flask, sink: Sink, status: int) -> None:
    sink.reply(Reply(status, {"message": "no"}))
    with pytest.raises(ConfigError, match=f"HTTP {status}"):
        CHANNEL.send(config(sink.url), invite())


def test_a_redirect_is_not_followed(outbound_app: Flask, sink: Sink) -> None:
    """requests would turn the POST into a GET on the next hop and call that delivered."""
    sink.reply(Reply(302, "", {"Location": "/elsewhere"}))
    with pytest.raises(ConfigError, match="redirected"):
        CHANNEL.send(config(sink.url), invite())
    assert [seen.path for seen in sink.received] == ["/"]


def test_a_slow_receiver_times_out_as_transient(outbound_app: Flask, sink: Sink) -> None:
    sink.reply(Reply(200, delay_s=2.0))
    with pytest.raises(TransientError, match="did not answer in time"):
        CHANNEL.send(config(sink.url, timeout_s=1), invite())


def test_a_closed_port_is_transient(outbound_app: Flask) -> None:
    with pytest.raises(TransientError, match="could not connect"):
        CHANNEL.send(config(f"http://127.0.0.1:{closed_port()}/"), invite())


def test_secrets_in_the_url_or_echoed_back_stay_out_of_the_error(outbound_app: Flask, sink: Sink) -> None:
    token = "hook-token-8d1f2e"
    sink.reply(Reply(400, {"message": f"bad signature with {SECRET} and token {token}"}))
    with pytest.raises(ConfigError) as caught:
        CHANNEL.send(config(f"{sink.url}/in?token={token}"), invite())
    text = str(caught.value)
    assert "HTTP 400" in text
    assert SECRET not in text and token not in text
    assert SECRET[6:] not in text


def test_loopback_is_refused_unless_an_operator_allows_it(guarded_app: Flask, sink: Sink) -> None:
    with pytest.raises(ConfigError, match="refusing to call 127.0.0.1"):
        CHANNEL.send(config(sink.url), invite())
    assert sink.received == []


def test_without_a_url_the_connection_cannot_deliver(outbound_app: Flask) -> None:
    settings = GENERIC.prepare_config({"secret": SECRET})
    with pytest.raises(ConfigError, match="no url"):
        CHANNEL.send(settings, invite())


def test_the_url_is_an_optional_typed_setting() -> None:
    """Inbound-only generic connections keep working: the url is optional, and typed when given."""
    assert "generic" in with_capability(Capability.DESTINATION)
    assert "generic" in with_capability(Capability.WEBHOOK)
    inbound_only = GENERIC.prepare_config({})
    assert "url" not in inbound_only and "secret" in GENERIC.generate_settings(inbound_only)
    with pytest.raises(ConfigProblem) as caught:
        GENERIC.prepare_config({"url": "ftp://files.example.com/in"})
    assert caught.value.problems == {"url": "must be an http:// or https:// address"}
    assert GENERIC.spec.secret_fields == {"secret"}


def test_the_generic_fake_keeps_each_webhook_id_once(outbound_app: Flask) -> None:
    """The receiver `journeyhub fake generic` runs: signatures verified, repeats answered but not kept."""
    receiver = GENERIC.fake()
    assert receiver is not None
    with receiver:
        config = GENERIC.prepare_config(receiver.credentials)
        receiver.inject_fault(503, times=1)
        with pytest.raises(TransientError, match="HTTP 503"):
            CHANNEL.send(config, invite(42))
        CHANNEL.send(config, invite(42))
        CHANNEL.send(config, invite(42))
        CHANNEL.send(config, invite(43))
        deliveries = requests.get(receiver.describe()["deliveries"], timeout=5).json()
        assert [d["webhook_id"] for d in deliveries] == ["invite-42.a1b2c3", "invite-43.a1b2c3"]
        assert deliveries[0]["payload"] == invite(42).payload and receiver.repeats == 1
        with pytest.raises(ConfigError, match="HTTP 401.*does not match"):
            CHANNEL.send(config | {"secret": signature.new_secret()}, invite(44))
