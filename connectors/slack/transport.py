"""slack-sdk's clients on a guarded transport: every connection they open passes the SSRF guard.

slack-sdk speaks urllib, which the hub's guarded requests and urllib3 transports do not
cover, and a webhook URL is typed in by whoever sets up the connection. So its clients
here open their requests through an opener whose connections come from the SDK's
`guarded_connection` (the name resolved once, every address checked, the socket connected
to a checked address; redirects are new connections, checked the same way). Retries are
the outbox's alone, so the SDK's own retry handlers are off.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.request
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse

from connectors.sdk import guarded_connection, outbound

TIMEOUT_S = 30


def _guarded(cls: type[http.client.HTTPConnection], allowed: tuple[str, ...]) -> Callable[..., Any]:
    """A connection class for urllib's `do_open` whose socket comes from the guard."""

    def connect(
        address: tuple[str, int], timeout: Any = TIMEOUT_S, source_address: Any = None
    ) -> socket.socket:
        seconds = timeout if isinstance(timeout, int | float) else TIMEOUT_S
        return guarded_connection(address[0], address[1], seconds, allowed)

    def make(host: str, **options: Any) -> http.client.HTTPConnection:
        connection = cls(host, **options)
        connection._create_connection = connect  # type: ignore[attr-defined]  # http.client's hook
        return connection

    return make


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__()
        self.allowed = allowed

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_guarded(http.client.HTTPConnection, self.allowed), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allowed: tuple[str, ...], context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self.allowed, self.tls = allowed, context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_guarded(http.client.HTTPSConnection, self.allowed), req, context=self.tls)


def opener(context: ssl.SSLContext | None = None) -> urllib.request.OpenerDirector:
    """Only http and https, both guarded, under the running job's allowed hosts."""
    allowed = outbound().policy.allowed_hosts
    director = urllib.request.OpenerDirector()
    for handler in (
        _HTTPHandler(allowed),
        _HTTPSHandler(allowed, context),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.HTTPDefaultErrorHandler(),
    ):
        director.add_handler(handler)
    return director


class GuardedWebClient(WebClient):
    """The Web API client (chat.postMessage), its requests sent through `opener`."""

    def __init__(self, token: str, base_url: str, context: ssl.SSLContext | None = None) -> None:
        super().__init__(token=token, base_url=base_url, timeout=TIMEOUT_S, ssl=context, retry_handlers=[])
        self._opener = opener(context)

    def _perform_urllib_http_request_internal(self, url: str, req: urllib.request.Request) -> dict[str, Any]:
        response = self._opener.open(req, timeout=self.timeout)
        charset = response.headers.get_content_charset() or "utf-8"
        return {
            "status": response.status,
            "headers": response.headers,
            "body": response.read().decode(charset),
        }


class GuardedWebhookClient(WebhookClient):
    """The incoming-webhook client, its requests sent through `opener`."""

    def __init__(self, url: str, context: ssl.SSLContext | None = None) -> None:
        super().__init__(url=url, timeout=TIMEOUT_S, ssl=context, retry_handlers=[])
        self._opener = opener(context)

    def _perform_http_request_internal(self, url: str, req: urllib.request.Request) -> WebhookResponse:
        response = self._opener.open(req, timeout=self.timeout)
        charset = response.headers.get_content_charset() or "utf-8"
        return WebhookResponse(
            url=url,
            status_code=response.status,
            body=response.read().decode(charset),
            headers=response.headers,
        )
