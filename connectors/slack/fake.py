"""Slack imitation: `chat.postMessage` and `auth.test` under /api/, and incoming webhooks under /services/.

As Slack does, the Web API answers refusals with HTTP 200 and `{"ok": false, "error": ...}`
(a missing token is `not_authed`, a wrong one `invalid_auth`, an unknown channel
`channel_not_found`, one the bot was not invited to `not_in_channel`, an archived one
`is_archived`, bad blocks `invalid_blocks`), and webhooks with a 4xx and the bare code as
text (`invalid_payload`, `no_text`, `no_service` once removed). Each channel takes about one
message a second: a token bucket per channel (a short burst, then `per_second`), beyond it
HTTP 429 with Retry-After. Every message taken is kept, in order, for tests and the demo to
read back: `messages()` or `GET /_fake/messages`.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import ApiError, json_response, read_json
from connectors.sdk.fakes.server import FakeServer, NoCohorts
from connectors.slack.fake_blocks import problems

MESSAGES_PATH = "/_fake/messages"
TEXT_MAX = 40_000
CHANNELS = {"C0000000001": "research", "C0000000002": "product", "C0000000003": "general"}
"""The fake workspace's channels; the bot is in all of them until `leave` or `archive`."""


@dataclass
class _Bucket:
    """Slack's per-channel pace: `burst` messages at once, then one per 1 / `per_second` seconds."""

    tokens: float
    at: float = field(default_factory=time.monotonic)


class SlackFake(NoCohorts, FakeServer):
    def __init__(self, *, port: int = 0, seed: int = 1, per_second: float = 1.0, burst: int = 3) -> None:
        super().__init__(port=port, members=0, seed=seed)
        self.token = f"xoxb-{seed}-{secrets.token_hex(12)}"
        self.webhook_path = f"/services/T0000000001/B0000000001/{secrets.token_urlsafe(18)}"
        self.webhook_channel = "C0000000001"
        self.webhook_live = True
        self.channels = dict(CHANNELS)
        self.joined = set(CHANNELS)
        self.archived: set[str] = set()
        self.per_second, self.burst = per_second, burst
        self._buckets: dict[str, _Bucket] = {}
        self._messages: list[dict[str, Any]] = []
        self._ts = 0
        self._local = threading.local()

    def routes(self) -> list[Rule]:
        return [
            Rule("/api/chat.postMessage", methods=["POST"], endpoint="post_message"),
            Rule("/api/auth.test", methods=["POST", "GET"], endpoint="auth_test"),
            Rule("/services/<path:rest>", methods=["POST"], endpoint="webhook"),
            Rule(MESSAGES_PATH, methods=["GET"], endpoint="list_messages"),
        ]

    # -- control ------------------------------------------------------------------------------
    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages]

    def pace_channels(self, per_second: float, burst: int) -> None:
        """How fast each channel takes messages (tests run Slack's 1/s faster)."""
        with self._lock:
            self.per_second, self.burst = per_second, burst
            self._buckets.clear()

    def leave(self, channel_id: str) -> None:
        with self._lock:
            self.joined.discard(channel_id)

    def archive(self, channel_id: str) -> None:
        with self._lock:
            self.archived.add(channel_id)

    def remove_webhook(self) -> None:
        with self._lock:
            self.webhook_live = False

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.webhook_path

    # -- FakeServer hooks ---------------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        """Slack answers a bad token in the body (`invalid_auth`), not with a 401: checked per route."""
        self._local.webhook = request.path.startswith("/services/")
        return True

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        headers = {"Retry-After": str(retry_after or 1)} if status == 429 else {}
        word = code or {429: "ratelimited", 404: "unknown_method"}.get(status, "internal_error")
        if getattr(self._local, "webhook", False):
            return Response(word, status, headers=headers, mimetype="text/html")
        return json_response({"ok": False, "error": word}, status, headers)

    def member_id(self, index: int) -> str:
        return f"U{index:010d}"

    def source_ref(self, cohort: int) -> str:
        return f"S{cohort:010d}"

    def provider_credentials(self) -> dict[str, str]:
        return {"base_url": f"{self.base_url}/api/", "bot_token": self.token, "channel": "#research"}

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"webhook_url": self.webhook_url, "channels": self.channels}

    def decorate(self, request: Request, response: Response) -> None:
        if request.path.startswith("/api/"):
            response.headers.setdefault("X-Slack-Req-Id", secrets.token_hex(8))

    # -- routes -------------------------------------------------------------------------------
    def auth_test(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        return json_response(
            {"ok": True, "url": "https://journeyhub-fake.slack.com/", "team": "Journeyhub Fake",
             "user": "journeyhub", "team_id": "T0000000001", "user_id": "U0000000001",
             "bot_id": "B0000000001", "is_enterprise_install": False}
        )  # fmt: skip

    def post_message(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        body = self._body(request)
        channel = self._channel(str(body.get("channel") or ""))
        if channel is None:
            return _api_error("channel_not_found")
        if channel in self.archived:
            return _api_error("is_archived")
        if channel not in self.joined:
            return _api_error("not_in_channel")
        refusal = self._content(body)
        if refusal:
            return _api_error(refusal[0], refusal[1])
        wait = self._take(channel)
        if wait:
            return json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(wait)})
        stored = self._keep(channel, body, via="api")
        message = {"type": "message", "text": stored["text"], "user": "U0000000001", "bot_id": "B0000000001",
                   "ts": stored["ts"], "blocks": stored["blocks"]}  # fmt: skip
        return json_response({"ok": True, "channel": channel, "ts": stored["ts"], "message": message})

    def webhook(self, request: Request, rest: str) -> Response:
        if request.path != self.webhook_path:
            return Response("invalid_token", 403, mimetype="text/html")
        if not self.webhook_live:
            return Response("no_service", 404, mimetype="text/html")
        if self.webhook_channel in self.archived:
            return Response("channel_is_archived", 410, mimetype="text/html")
        try:
            body = read_json(request)
        except ApiError:
            body = None
        if not isinstance(body, dict):
            return Response("invalid_payload", 400, mimetype="text/html")
        refusal = self._content(body)
        if refusal:
            return Response(refusal[0], 400, mimetype="text/html")
        wait = self._take(self.webhook_channel)
        if wait:
            return Response("rate_limited", 429, headers={"Retry-After": str(wait)}, mimetype="text/html")
        self._keep(self.webhook_channel, body, via="webhook")
        return Response("ok", 200, mimetype="text/html")

    def list_messages(self, request: Request) -> Response:
        return json_response(self._messages)

    # -- helpers ------------------------------------------------------------------------------
    def _auth(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        token = token or str(request.form.get("token") or "")
        if not token:
            return _api_error("not_authed")
        return None if secrets.compare_digest(token, self.token) else _api_error("invalid_auth")

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        if request.mimetype == "application/json":
            body = read_json(request)
            return body if isinstance(body, dict) else {}
        return request.form.to_dict()

    def _channel(self, ref: str) -> str | None:
        """A channel id, or a name with or without its #, as Slack takes either."""
        if ref in self.channels:
            return ref
        name = ref.removeprefix("#")
        return next((cid for cid, n in self.channels.items() if n == name), None)

    @staticmethod
    def _content(body: dict[str, Any]) -> tuple[str, list[str]] | None:
        blocks, text = body.get("blocks"), body.get("text")
        if not text and not blocks:
            return "no_text", []
        if isinstance(text, str) and len(text) > TEXT_MAX:
            return "msg_too_long", []
        found = problems(blocks) if blocks is not None else []
        return ("invalid_blocks", found) if found else None

    def _take(self, channel: str) -> int:
        """0 when the channel's bucket has a message to spare, else the whole seconds until it will."""
        now = time.monotonic()
        bucket = self._buckets.setdefault(channel, _Bucket(float(self.burst), now))
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / self.per_second))

    def _keep(self, channel: str, body: dict[str, Any], *, via: str) -> dict[str, Any]:
        self._ts += 1
        stored = {"channel": channel, "ts": f"{int(time.time())}.{self._ts:06d}", "text": body.get("text") or "",
                  "blocks": body.get("blocks") or [], "via": via, "received_at": time.time()}  # fmt: skip
        self._messages.append(stored)
        return stored


def _api_error(code: str, messages: list[str] | None = None) -> Response:
    body: dict[str, Any] = {"ok": False, "error": code}
    if messages:
        body["response_metadata"] = {"messages": messages}
    return json_response(body)


def start(*, port: int = 0, seed: int = 1, **options: Any) -> SlackFake:
    """Serve a Slack fake; options: ``per_second`` and ``burst`` of each channel's pace."""
    return SlackFake(port=port, seed=seed, **options).serve()
