"""Anthropic Messages API imitation (apis.md §9): `POST /v1/messages` with tool use and usage.

Authentication is the `x-api-key` header (or `Authorization: Bearer`); errors come in
Anthropic's shape `{"type": "error", "error": {"type", "message"}, "request_id"}`, 429 as
`rate_limit_error` and 529 as `overloaded_error`, each with `retry-after` (and
`retry-after-ms`) when asked for. Usage counts about four characters a token and imitates
prompt caching: a prefix that ends at a `cache_control` block is written the first time it
is seen and read after that. A forced tool is answered with a `tool_use` block whose input
is the next scripted one (`answer_with`), or one built from its input schema with text\nfrom the longest line the user sent; `exhaust_spend`
turns every later call into the organisation spend-limit 429, which must not be retried.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import deque
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import ApiError, json_response, read_json
from connectors.sdk.fakes.server import FakeServer, NoCohorts

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
MESSAGES = {
    401: "invalid x-api-key",
    429: "Number of request tokens has exceeded your per-minute rate limit",
    529: "Overloaded",
}
SPEND_LIMIT = "You have reached your specified workspace API usage limits."


def tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4)


class AnthropicFake(NoCohorts, FakeServer):
    default_rate_limit = (50, 60.0)

    def __init__(self, *, api_key: str | None = None, **options: Any) -> None:
        options.setdefault("members", 0)
        super().__init__(**options)
        self.token = api_key or f"sk-ant-fake-{uuid.uuid5(uuid.NAMESPACE_URL, f'anthropic:{self.seed}').hex}"
        self._answers: deque[Any] = deque()
        self._cached: set[str] = set()
        self._spend_exhausted = False

    def routes(self) -> list[Rule]:
        return [Rule("/v1/messages", methods=["POST"], endpoint="messages")]

    # -- control surface ------------------------------------------------------------------
    def answer_with(self, *inputs: Any) -> None:
        """The next forced-tool calls answer with these inputs, in order (any JSON: malformed on purpose too)."""
        with self._lock:
            self._answers.extend(inputs)

    def exhaust_spend(self, exhausted: bool = True) -> None:
        with self._lock:
            self._spend_exhausted = exhausted

    # -- identity and dialect -------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        key = request.headers.get("x-api-key") or request.headers.get("Authorization", "").removeprefix(
            "Bearer "
        )
        return key == self.token

    def provider_credentials(self) -> dict[str, str]:
        return {"api_key": self.token}

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        kind = code or ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        body: dict[str, Any] = {
            "type": "error",
            "error": {"type": kind, "message": message or MESSAGES.get(status, kind.replace("_", " "))},
            "request_id": f"req_{uuid.uuid4().hex[:24]}",
        }
        headers: dict[str, str] = {}
        if retry_after is not None and status in (429, 529):
            headers = {"retry-after": str(retry_after), "retry-after-ms": str(retry_after * 1000)}
        return json_response(body, status, headers)

    def decorate(self, request: Request, response: Response) -> None:
        response.headers.setdefault("request-id", f"req_{uuid.uuid4().hex[:24]}")
        usage = self.usage()
        response.headers["anthropic-ratelimit-requests-limit"] = str(usage.limit)
        response.headers["anthropic-ratelimit-requests-remaining"] = str(usage.remaining)

    # -- the Messages API -----------------------------------------------------------------
    def messages(self, request: Request) -> Response:
        if self._spend_exhausted:
            body = {
                "type": "error",
                "error": {
                    "type": "rate_limit_error",
                    "message": SPEND_LIMIT,
                    "details": {"error_code": "enforced_spend_limit_reached"},
                },
                "request_id": f"req_{uuid.uuid4().hex[:24]}",
            }
            return json_response(body, 429, {"x-should-retry": "false"})
        payload = read_json(request)
        if not isinstance(payload, dict):
            raise ApiError(400, "body: must be an object")
        for name, kind in (("model", str), ("max_tokens", int), ("messages", list)):
            if not isinstance(payload.get(name), kind) or payload.get(name) in ("", []):
                raise ApiError(400, f"{name}: Field required")
        content = self._content(payload)
        usage = self._usage(payload)
        usage["output_tokens"] = tokens(content)
        return json_response(
            {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": payload["model"],
                "content": content,
                "stop_reason": "tool_use" if content[0]["type"] == "tool_use" else "end_turn",
                "stop_sequence": None,
                "usage": usage,
            }
        )

    def _content(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        choice = payload.get("tool_choice") or {}
        tools = {t.get("name"): t for t in payload.get("tools") or [] if isinstance(t, dict)}
        name = choice.get("name") if choice.get("type") == "tool" else next(iter(tools), None)
        if name is None or name not in tools:
            return [{"type": "text", "text": "This is the fake Messages API's answer."}]
        schema = tools[name].get("input_schema") or {}
        given = self._answers.popleft() if self._answers else instance(schema, _sample(payload))
        return [{"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": name, "input": given}]

    def _usage(self, payload: dict[str, Any]) -> dict[str, int]:
        """Tokens read from the longest cached prefix, written up to the last breakpoint, and the rest.

        Each `cache_control` block ends a prefix (tools, then system, then messages) that is cached
        on its own, as the API does: a grown codebook still reads the instructions before it.
        """
        parts = [*(payload.get("tools") or []), *_blocks(payload.get("system")), *payload["messages"]]
        marked = [i for i, part in enumerate(parts) if isinstance(part, dict) and part.get("cache_control")]
        total = tokens(parts)
        read = written = 0
        for index in marked:
            prefix = parts[: index + 1]
            key = hashlib.sha256(json.dumps(prefix, sort_keys=True).encode()).hexdigest()
            if key in self._cached:
                read = tokens(prefix)
            self._cached.add(key)
        if marked:
            written = tokens(parts[: marked[-1] + 1]) - read
        return {
            "input_tokens": max(1, total - read - written),
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }


def _blocks(system: Any) -> list[Any]:
    return system if isinstance(system, list) else [system] if system else []


def instance(schema: dict[str, Any], sample: str = "x") -> Any:
    """A value that fits a JSON schema: numbers in the middle of their range, text from `sample`."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: instance(properties[name], sample) for name in schema.get("required", list(properties))}
    if kind == "array":
        return [instance(schema.get("items") or {}, sample) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", 0), schema.get("maximum", schema.get("minimum", 0))
        middle = (low + high) / 2
        return round(middle) if kind == "integer" else middle
    if kind == "boolean":
        return False
    text = sample[: schema.get("maxLength", len(sample))] or "x"
    return text.ljust(schema.get("minLength", 1), "x")


def _sample(payload: dict[str, Any]) -> str:
    """The longest line the user sent, after any "speaker:" in front: text an answer may quote."""
    content = payload["messages"][-1].get("content") if isinstance(payload["messages"][-1], dict) else ""
    if isinstance(content, list):
        content = " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    lines = [line.rsplit(": ", 1)[-1].strip() for line in str(content or "").splitlines()]
    return max(lines, key=len, default="") or "x"


def start(*, port: int = 0, members: int = 0, seed: int = 1) -> AnthropicFake:
    return AnthropicFake(port=port, members=members, seed=seed).serve()
