"""Result actions into Amplitude: `update_fields` as Identify (`$set`), `track` as `interview_completed`.

The events are built by the official `amplitude-analytics` library (`Identify`,
`IdentifyEvent`, `BaseEvent`) and its own reading of an answer (`http_client.Response`)
says which events were refused; the batch goes out through the shared HttpClient as one
`POST /2/httpapi` (HTTP V2), where the library sends Identify too. The library's client
cannot serve here: it sends from background threads on urllib (past the SSRF guard), retries
and re-queues on its own, and reports a 429 without its wait.

HTTP V2 takes a batch whole or not at all: a 400 names the events with missing or invalid
fields, and none of that batch was ingested. Those events are Rejected for good; the others
are Rejected as retryable (they were fine, only sent alongside), so the outbox re-sends only
them. A 429 is a wait for the whole batch (Amplitude names no Retry-After: 30 s, as its docs
advise). Each event's `insert_id` comes from the action's key, so a re-sent one is not
counted twice. 1,000 events a request keeps a batch well under HTTP V2's 1 MB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import requests
from amplitude import BaseEvent, Identify, IdentifyEvent  # type: ignore[import-untyped]
from amplitude.http_client import HttpStatus, Response  # type: ignore[import-untyped]

from connectors.sdk import (
    USER_ID,
    ErrorResolution,
    ErrorTable,
    HttpClient,
    Outbound,
    ResponseAction,
    outbound,
)
from connectors.sdk.actions import Action, Answer, Done, Pace, Rejected
from connectors.sdk.interviews import completed_at, event_properties

INGEST = {"US": "https://api2.amplitude.com", "EU": "https://api.eu.amplitude.com"}
BATCH = 1000
EVENT = "interview_completed"
THROTTLE_WAIT_S = 30.0
_INVALID = ErrorResolution(ResponseAction.IGNORE, None, "some events were refused")


def _invalid_events(response: requests.Response) -> ErrorResolution | None:
    """A 400 naming events is answered per event, not raised."""
    if response.status_code == 400 and "events_with_" in response.text:
        return _INVALID
    return None


def user_id(action: Action) -> str | None:
    if action.respondent is None:
        return None
    found = action.respondent.identities.get(USER_ID.name)
    return str(found) if found else None


def build(action: Action, who: str) -> dict[str, Any]:
    insert_id = hashlib.sha256(action.key.encode()).hexdigest()[:32]
    if action.operation == "track":
        event = BaseEvent(
            EVENT,
            user_id=who,
            time=int(completed_at(action).timestamp() * 1000),
            insert_id=insert_id,
            event_properties=event_properties(action),
        )
    else:
        identify = Identify()
        for name, value in action.fields.items():
            identify.set(name, value)
        event = IdentifyEvent(user_id=who, insert_id=insert_id, user_properties=identify.user_properties)
    body: dict[str, Any] = event.get_event_body()
    return body


class AmplitudeActions:
    operations = frozenset({"update_fields", "track"})
    batch_size = BATCH
    pace: Pace | None = None

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        answers: dict[str, Answer] = {}
        sent: list[tuple[Action, dict[str, Any]]] = []
        for action in actions:
            who = user_id(action)
            if who is None:
                answers[action.key] = Rejected("the person has no user id for Amplitude")
            elif action.operation == "update_fields" and not action.fields:
                answers[action.key] = Rejected("the action sets no user properties")
            else:
                sent.append((action, build(action, who)))
        if not sent:
            return answers
        key = str(config.get("api_key") or "")
        with _client(config) as http:
            response = http.request(
                "POST", "/2/httpapi", json={"api_key": key, "events": [e for _, e in sent]}
            )
        if response.status_code == 400:
            return answers | _refused(response.json(), [a for a, _ in sent])
        return answers | {
            action.key: Done(ref=event["insert_id"], detail={"event_type": event["event_type"]})
            for action, event in sent
        }

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        return None

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        """User and event properties are free-form in Amplitude: any name is accepted."""
        return None


def _refused(body: dict[str, Any], actions: list[Action]) -> dict[str, Answer]:
    reading = Response(HttpStatus.INVALID_REQUEST, body)
    invalid = reading.invalid_or_silenced_index()
    error = str(reading.error or "Amplitude refused the event")
    return {
        action.key: Rejected(error)
        if index in invalid
        else Rejected("not ingested: sent in a batch with refused events", retry=True)
        for index, action in enumerate(actions)
    }


def _client(config: Mapping[str, Any]) -> HttpClient:
    scope = Outbound(replace(outbound().policy, max_attempts=1))
    region = str(config.get("region") or "US").strip().upper()
    base = str(config.get("base_url") or INGEST.get(region, INGEST["US"]))
    errors = ErrorTable(classify=_invalid_events, wait_hint=lambda headers: THROTTLE_WAIT_S)
    return scope.client(base, secrets=[str(config.get("api_key") or "")], errors=errors)
