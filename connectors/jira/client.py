"""The `jira` library pointed at the connection's site, its transport guarded, its errors in our table.

`jira.JIRA` builds its own `requests` session (a ResilientSession) and calls the site from
its constructor (`GET /rest/api/2/serverInfo`), so the guard cannot be handed in afterwards:
`GuardedJira` mounts the outbound scope's guarded adapters in the one hook the constructor
runs between making that session and the first request (the TLS setting's), so every call,
the constructor's included, passes the SSRF guard and the allowed hosts. The library's own
retries are off (`max_retries=0`): the outbox is the one retry mechanism, and one attempt
here is one request.

`JIRAError` carries the status and the response; it is turned into a small exception with
`status`, `headers` and `body` (Jira's `errorMessages` and `errors` in plain words) so the
shared table classifies it like any SDK's: 401/403 a settings problem, 429 a wait for
`Retry-After`, 5xx transient. A 400 whose errors name the project or issue type is the
connection's settings; any other 400 is Jira refusing this one issue (`REFUSED`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from connectors.sdk import (
    ErrorResolution,
    FailureType,
    HttpError,
    Outbound,
    ResponseAction,
    classify_exception,
    outbound,
)

T = TypeVar("T")
TIMEOUT = (5.0, 30.0)
SETTINGS_FIELDS = frozenset({"project", "issuetype", "pid"})
REFUSED = ErrorResolution(ResponseAction.FAIL, None, "Jira refused the issue")
_SETTINGS = ErrorResolution(
    ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the project or issue type set on the connection"
)


_NOTHING = ErrorResolution(ResponseAction.RETRY, FailureType.TRANSIENT_ERROR, "Jira answered nothing")


class JiraFailure(Exception):
    """What the shared table reads of a refused Jira call: status, headers and the errors in words."""

    def __init__(self, status: int, headers: Mapping[str, str], message: str, fields: frozenset[str]) -> None:
        super().__init__(message)
        self.status, self.headers, self.fields = status, dict(headers), fields
        self.body = {"message": message} if message else None

    @classmethod
    def of(cls, exc: JIRAError) -> JiraFailure:
        response: requests.Response | None = exc.response
        errors: dict[str, Any] = {}
        messages: list[str] = []
        if response is not None:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                messages = [str(m) for m in answer.get("errorMessages") or [] if m]
                found = answer.get("errors")
                errors = dict(found) if isinstance(found, dict) else {}
        words = messages + [f"{name}: {text}" for name, text in errors.items()]
        headers = response.headers if response is not None else {}
        return cls(int(exc.status_code or 0), headers, "; ".join(words), frozenset(errors))


def classify(exc: BaseException) -> ErrorResolution | None:
    if isinstance(exc, JiraFailure) and exc.status == 400:
        return _SETTINGS if exc.fields & SETTINGS_FIELDS else REFUSED
    if isinstance(exc, JiraFailure) and exc.status == 0:
        return _NOTHING
    return classify_exception(exc)


def refused(exc: HttpError) -> bool:
    """Jira refused this one action (a field it will not take), not the connection or the request."""
    return exc.resolution is REFUSED


class GuardedJira(JIRA):
    def __init__(self, *args: Any, guarded: requests.Session, **kwargs: Any) -> None:
        self._guarded = guarded
        super().__init__(*args, **kwargs)

    def _add_ssl_cert_verif_strategy_to_session(self) -> None:
        """Runs inside the constructor right after the session is made and before it is first used."""
        super()._add_ssl_cert_verif_strategy_to_session()  # type: ignore[no-untyped-call]
        for prefix, adapter in self._guarded.adapters.items():
            self._session.mount(prefix, adapter)


class JiraClient:
    """One connection's Jira: the library for the calls, the outbound scope for their failures."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.token = str(config.get("api_token") or "")
        self.scope = Outbound(replace(outbound().policy, max_attempts=1))
        self._sdk: JIRA | None = None
        self._config = config

    @property
    def sdk(self) -> JIRA:
        """Made on first use, under `call`, since constructing it already asks the site for its version."""
        if self._sdk is None:
            config = self._config
            self._sdk = GuardedJira(
                server=str(config["base_url"]),
                basic_auth=(str(config.get("email") or ""), self.token),
                options={"verify": str(config["ca_bundle"]) if config.get("ca_bundle") else True},
                max_retries=0,
                timeout=TIMEOUT,
                logging=False,
                guarded=self.scope.session(),
            )
        return self._sdk

    def call(self, what: str, fn: Callable[[JIRA], T]) -> T:
        def attempt() -> T:
            try:
                return fn(self.sdk)
            except JIRAError as exc:
                raise JiraFailure.of(exc) from None

        result = self.scope.call(attempt, classify, what=f"Jira {what}", secrets=[self.token])
        if result is None:
            raise RuntimeError(f"Jira {what} answered nothing")
        return result

    def close(self) -> None:
        if self._sdk is not None:
            self._sdk.close()  # type: ignore[no-untyped-call]
