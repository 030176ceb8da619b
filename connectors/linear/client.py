"""Linear's GraphQL API (`POST /graphql`) through the shared HttpClient; its errors in plain words.

There is no official Python SDK; the TypeScript one shows how Linear's errors read: each
GraphQL error has `extensions.type` (`ratelimited`, `authentication error`, `forbidden`,
`invalid input`, ...) and often a `userPresentableMessage`, which is what a person should see.
Rate limiting comes as HTTP 400 with `RATELIMITED` and the reset time in
`X-RateLimit-Requests-Reset` (epoch ms), so the error table reads the body, not only the
status: a wait, a settings problem (a rejected API key, a forbidden team) or a retry for
Linear's own failures. Anything else Linear refused is raised as `Refused` with its words,
for the caller to judge (this action, or the connection's team, project or labels).

A personal API key goes in `Authorization` as it is (no `Bearer`); an OAuth token would.
The client sends once: the outbox is the one retry mechanism.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import requests

from connectors.sdk import (
    CREDENTIALS_REJECTED,
    RATE_LIMITED,
    ErrorResolution,
    ErrorTable,
    FailureType,
    HttpClient,
    ResponseAction,
    outbound,
)

PATH = "/graphql"
_FORBIDDEN = ErrorResolution(
    ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the API key may not do this in this workspace"
)
_LINEAR_FAILED = ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "Linear failed")
_THEIRS = ErrorResolution(ResponseAction.IGNORE, None, "answered in the body")
_BY_TYPE = {
    "ratelimited": RATE_LIMITED,
    "authentication error": CREDENTIALS_REJECTED,
    "forbidden": _FORBIDDEN,
    "internal error": _LINEAR_FAILED,
    "lock timeout": _LINEAR_FAILED,
    "network error": _LINEAR_FAILED,
}
_BY_CODE = {
    "RATELIMITED": "ratelimited",
    "AUTHENTICATION_ERROR": "authentication error",
    "FORBIDDEN": "forbidden",
}


class Refused(Exception):
    """Linear answered with GraphQL errors that are about what was asked, in its own words."""

    def __init__(self, words: str, kinds: set[str]) -> None:
        super().__init__(words)
        self.words, self.kinds = words, kinds


def graphql_errors(response: requests.Response) -> list[dict[str, Any]]:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def kind_of(error: dict[str, Any]) -> str:
    extensions = error.get("extensions") or {}
    code = str(extensions.get("code") or "")
    return str(extensions.get("type") or _BY_CODE.get(code) or code.lower().replace("_", " ") or "unknown")


def words(errors: list[dict[str, Any]]) -> str:
    """What a person should read: Linear's user-presentable message where it gave one."""
    said = [
        str((e.get("extensions") or {}).get("userPresentableMessage") or e.get("message") or "")
        for e in errors
    ]
    return "; ".join(dict.fromkeys(w for w in said if w)) or "Linear refused the request"


def classify(response: requests.Response) -> ErrorResolution | None:
    """The first error's type decides, whatever the status (Linear rate-limits with a 400)."""
    errors = graphql_errors(response)
    if not errors:
        return None
    return _BY_TYPE.get(kind_of(errors[0]), _THEIRS)


class LinearClient:
    def __init__(self, config: dict[str, Any]) -> None:
        key = str(config.get("api_key") or "")
        policy = replace(outbound().policy, max_attempts=1)
        self.http = HttpClient(
            str(config["base_url"]),
            policy,
            headers={"Authorization": key, "Content-Type": "application/json"},
            errors=ErrorTable(classify=classify),
        )

    def query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The `data` of one GraphQL request; raises the outbound failures, or `Refused`."""
        response = self.http.request("POST", PATH, json={"query": query, "variables": variables})
        errors = graphql_errors(response)
        if errors:
            raise Refused(words(errors), {kind_of(e) for e in errors})
        data = response.json().get("data")
        return dict(data) if isinstance(data, dict) else {}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> LinearClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
