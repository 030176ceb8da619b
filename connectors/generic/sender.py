"""Invites out as Standard Webhooks: the message payload POSTed as JSON, signed with the connection's secret.

`webhook-id` is the invite's idempotency key, the same on every attempt, so a receiver that
deduplicates on it (as Standard Webhooks asks receivers to) sees one event however often
the outbox retries. That is also why `lookup` has nothing to ask: the receiver is the only
one who knows what arrived, and it already drops the repeats.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from connectors.sdk import (
    ConfigError,
    ErrorResolution,
    ErrorTable,
    FailureType,
    HttpClient,
    Message,
    Receipt,
    ResponseAction,
    TransientError,
    outbound,
)
from connectors.sdk import standard_webhooks as signature

CONNECT_TIMEOUT_S = 5.0
DEFAULT_TIMEOUT_S = 10
"""How long a receiver may take to answer; a slower one is retried later, not waited on."""

_NO_URL = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "no delivery url")
_BAD_SECRET = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "no signing secret")
_REDIRECTED = ErrorResolution(
    ResponseAction.FAIL,
    FailureType.CONFIG_ERROR,
    "the receiver redirected; set the connection's url to the final address",
)
_REFUSED = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the receiver refused the webhook")
_RECEIVER_FAILED = ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "the receiver failed")


def _classify(response: requests.Response) -> ErrorResolution | None:
    """Any 5xx is worth another try and any other 4xx is not; 408 and 429 keep the shared meaning.

    Redirects are not followed: a POST that turns into a GET on the next hop would be
    reported as delivered while the receiver got nothing.
    """
    status = response.status_code
    if 300 <= status < 400:
        return _REDIRECTED
    if status >= 500:
        return _RECEIVER_FAILED
    if 400 <= status < 500 and status not in (408, 429):
        return _REFUSED
    return None


def _url_secrets(url: str) -> list[str]:
    """Webhook URLs often carry their own credentials (a password, a `?token=`); none may reach an error."""
    parts = urlsplit(url)
    found = [parts.password or ""] + [value for _, value in parse_qsl(parts.query)]
    return [value for value in found if len(value) >= 4]


def signed_headers(secret: str, msg_id: str, body: bytes) -> dict[str, str]:
    stamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature.sign(secret, msg_id, stamp, body),
    }


def post(config: dict[str, Any], msg_id: str, payload: Any) -> int:
    """POSTs `payload` as signed JSON to the connection's url, once; answers the receiver's status."""
    url = str(config.get("url") or "")
    if not url:
        raise ConfigError(
            "this generic connection has no url to deliver to; set its url setting", resolution=_NO_URL
        )
    secret = str(config.get("secret") or "")
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    try:
        headers = signed_headers(secret, msg_id, body)
    except ValueError as exc:
        raise ConfigError(f"the connection's secret {exc}", resolution=_BAD_SECRET) from None
    timeout = float(config.get("timeout_s") or DEFAULT_TIMEOUT_S)
    client, kept = _client(url, secret, timeout)
    try:
        response = client.post_once(url, body, headers)
    except TransientError as exc:
        if not kept or exc.status is not None:
            raise
        # The receiver closed the kept connection as this request went out (it may time idle
        # connections out without saying so): once more on a new one. A receiver that did get
        # the first drops this one by its webhook-id.
        _forget(client)
        client, _ = _client(url, secret, timeout)
        response = client.post_once(url, body, headers)
    return response.status_code


class _SignedOnly(requests.auth.AuthBase):
    """A receiver authenticates us by the signature alone. Without an auth of its own, requests
    would add credentials from ~/.netrc for a receiver's host (and read the file on every send)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_SIGNED_ONLY = _SignedOnly()
_threads = threading.local()
KEPT_CLIENTS = 8
"""Receivers a sending thread keeps a connection open to."""


def _client(url: str, secret: str, timeout: float) -> tuple[HttpClient, bool]:
    """This thread's client for the receiver, kept between sends so its connection is too.

    A new connection per webhook was half of a delivery's CPU (connect, close, a socket each
    time). Kept per thread, as a requests session is not meant to be shared between threads;
    the outbox's sending threads live for one claimed batch, so a connection lives as long.
    The SSRF guard checks the address of every new connection; a kept one stays on the
    address it was checked against. Keyed by what the client is built from, the allowed
    hosts included, so a changed setting is a new client.
    """
    policy = replace(outbound().policy, max_attempts=1)  # the outbox owns retries
    key = (url, secret, timeout, policy.allowed_hosts)
    kept: OrderedDict[tuple[Any, ...], HttpClient] = _threads.__dict__.setdefault("clients", OrderedDict())
    client = kept.get(key)
    if client is None:
        client = HttpClient(
            url,
            policy,
            auth=_SIGNED_ONLY,
            secrets=[secret, *_url_secrets(url)],
            timeout=(CONNECT_TIMEOUT_S, timeout),
            errors=ErrorTable(classify=_classify),
        )
        kept[key] = client
        while len(kept) > KEPT_CLIENTS:
            kept.popitem(last=False)[1].close()
        return client, False
    kept.move_to_end(key)
    return client, True


def _forget(client: HttpClient) -> None:
    kept: OrderedDict[tuple[Any, ...], HttpClient] = _threads.__dict__.setdefault("clients", OrderedDict())
    for key, found in list(kept.items()):
        if found is client:
            del kept[key]
    client.close()


class WebhookChannel:
    def send(self, config: dict[str, Any], message: Message) -> Receipt:
        status = post(config, message.idempotency_key, dict(message.payload))
        return Receipt(detail={"status": status, "webhook_id": message.idempotency_key})

    def lookup(self, config: dict[str, Any], message: Message) -> Receipt | None:
        return None
