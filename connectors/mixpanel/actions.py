"""Result actions into Mixpanel: `update_fields` as Engage `$set`, `track` as an `interview_completed` event.

The messages are built by the official `mixpanel` library (`people_set`, `import_data`),
handed to a consumer that collects them instead of sending; the batch then goes out through
the shared HttpClient. mixpanel-python's own Consumer cannot serve here: it sends to an
`https://` address it builds itself, retries 5xx on its own, and turns every answer into one
MixpanelException, losing the status (401, 429 with its wait, 5xx) and which records failed.

`update_fields` is one `POST /engage` of up to 2,000 updates, form-encoded with `verbose=1`
as the library sends it; Engage names no record when it refuses a batch (it answers 200 with
`status: 0`), so that is a failure of the whole request. `track` is one `POST /import`
(`strict=1`, service-account auth) of up to 2,000 events; its 400 names each refused event in
`failed_records` while the others are ingested, so only those actions are Rejected. Each
event's `$insert_id` comes from the action's key, so a retried batch is not counted twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import requests
from mixpanel import Mixpanel  # type: ignore[import-untyped]

from connectors.mixpanel.client import project_id_of
from connectors.mixpanel.kinds import MIXPANEL_DISTINCT_ID
from connectors.sdk import (
    USER_ID,
    ConfigError,
    ErrorResolution,
    ErrorTable,
    FailureType,
    HttpClient,
    Outbound,
    ResponseAction,
    outbound,
)
from connectors.sdk.actions import Action, Answer, Done, Pace, Rejected
from connectors.sdk.interviews import completed_at, event_properties

INGEST = {
    "US": "https://api.mixpanel.com",
    "EU": "https://api-eu.mixpanel.com",
    "IN": "https://api-in.mixpanel.com",
}
MAX_BATCH = 2000
EVENT = "interview_completed"
_PARTIAL = ErrorResolution(ResponseAction.IGNORE, None, "some events were refused")
_REFUSED = ErrorResolution(
    ResponseAction.FAIL, FailureType.CONFIG_ERROR, "Mixpanel refused the profile updates"
)


class _Collect:
    """A mixpanel-python consumer that keeps each message it is given, to send them as one batch."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def send(self, endpoint: str, json_message: str, api_key: Any = None, api_secret: Any = None) -> None:
        self.messages.append(json.loads(json_message))


def _partial(response: requests.Response) -> ErrorResolution | None:
    """A 400 naming failed records is a partial success: the others were ingested."""
    if response.status_code == 400 and "failed_records" in response.text:
        return _PARTIAL
    return None


def distinct_id(action: Action) -> str | None:
    """The profile's distinct_id in this project, else the product's user id (Mixpanel's usual distinct_id)."""
    if action.respondent is None:
        return None
    identities = action.respondent.identities
    known = identities.get(MIXPANEL_DISTINCT_ID.name)
    if known:
        return str(known).split(":", 1)[-1]
    user = identities.get(USER_ID.name)
    return str(user) if user else None


def insert_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class MixpanelActions:
    operations = frozenset({"update_fields", "track"})
    batch_size = MAX_BATCH
    pace: Pace | None = None

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        answers: dict[str, Answer] = {}
        addressed: list[tuple[Action, str]] = []
        for action in actions:
            who = distinct_id(action)
            if who is None:
                answers[action.key] = Rejected("the person has no Mixpanel distinct_id or user id")
            else:
                addressed.append((action, who))
        if not addressed:
            return answers
        with _client(config) as http:
            if actions[0].operation == "track":
                answers |= _import(http, config, addressed)
            else:
                answers |= _engage(http, config, addressed)
        return answers

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        return None

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        """Profile and event properties are free-form in Mixpanel: any name is accepted."""
        return None


def _client(config: Mapping[str, Any]) -> HttpClient:
    scope = outbound()
    scope = Outbound(replace(scope.policy, max_attempts=1))
    region = str(config.get("region") or "US").strip().upper()
    base = str(config.get("base_url") or INGEST.get(region, INGEST["US"]))
    auth = (
        str(config.get("service_account_username") or ""),
        str(config.get("service_account_secret") or ""),
    )
    token = str(config.get("project_token") or "")
    return scope.client(
        base, auth=auth, secrets=[token] if token else [], errors=ErrorTable(classify=_partial)
    )


def _engage(
    http: HttpClient, config: Mapping[str, Any], addressed: list[tuple[Action, str]]
) -> dict[str, Answer]:
    token = str(config.get("project_token") or "")
    if not token:
        raise ConfigError(
            "set the connection's project_token: Mixpanel profile updates carry it", resolution=_REFUSED
        )
    collect = _Collect()
    library = Mixpanel(token, consumer=collect)
    for action, who in addressed:
        library.people_set(who, dict(action.fields), meta={"$ignore_time": True})
    form = {"data": json.dumps(collect.messages, separators=(",", ":")), "verbose": "1"}
    answer = http.request("POST", "/engage", data=form).json()
    if not isinstance(answer, dict) or answer.get("status") != 1:
        error = answer.get("error") if isinstance(answer, dict) else answer
        raise ConfigError(f"Mixpanel refused the profile updates: {error}", resolution=_REFUSED)
    return {
        action.key: Done(ref=who, detail={"properties": sorted(action.fields)}) for action, who in addressed
    }


def _import(
    http: HttpClient, config: Mapping[str, Any], addressed: list[tuple[Action, str]]
) -> dict[str, Answer]:
    collect = _Collect()
    library = Mixpanel(str(config.get("project_token") or ""), consumer=collect)
    for action, who in addressed:
        props = event_properties(action) | {"$insert_id": insert_id(action.key)}
        library.import_data(None, who, EVENT, int(completed_at(action).timestamp()), props)
    response = http.request(
        "POST",
        "/import",
        params={"strict": "1", "project_id": str(project_id_of(config))},
        data=json.dumps(collect.messages, separators=(",", ":")),
        headers={"Content-Type": "application/json"},
    )
    failed = {
        int(f["index"]): str(f.get("message") or f.get("field") or "refused")
        for f in (response.json().get("failed_records") or [])
        if isinstance(f, dict) and isinstance(f.get("index"), int)
    }
    return {
        action.key: Rejected(failed[i])
        if i in failed
        else Done(ref=insert_id(action.key), detail={"event": EVENT})
        for i, (action, _) in enumerate(addressed)
    }
