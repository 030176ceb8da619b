"""Amplitude's HTTP V2 API as the fake answers it: `POST /2/httpapi` (events and `$identify`).

The project `api_key` travels in the body, not in a header. A batch is all or nothing:
events with missing or invalid fields (or a user_id shorter than `min_id_length`, 5 unless
the request's options say otherwise) get a 400 naming their indexes
(`events_with_missing_fields`, `events_with_invalid_fields`, `events_with_invalid_id_lengths`)
and nothing of that batch is ingested; more than 2,000 events or 1 MB is a 413. `$identify`
events set user properties (`$set`) on the person whose `user_id` is theirs. Events are kept
once per `insert_id`, as Amplitude deduplicates them.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import json_response
from connectors.sdk.fakes.population import Person, Population

MAX_EVENTS, MAX_BYTES = 2000, 1024 * 1024
HTTPAPI_PATH = "/2/httpapi"


class AmplitudeIngest:
    """Mixed into AmplitudeFake after FakeServer, whose population and keys it reads."""

    population: Population
    api_key: str
    user_id: Callable[[Person], str]

    @property
    def ingested(self) -> dict[str, dict[str, Any]]:
        """Events ingested, by insert_id (or position when an event has none)."""
        events: dict[str, dict[str, Any]] = self.__dict__.setdefault("_ingested", {})
        return events

    def httpapi(self, request: Request) -> Response:
        raw = request.get_data()
        if len(raw) > MAX_BYTES:
            return json_response({"code": 413, "error": "Payload too large"}, 413)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return json_response({"code": 400, "error": "Invalid JSON request body"}, 400)
        if not isinstance(body, dict) or body.get("api_key") != self.api_key:
            key = body.get("api_key") if isinstance(body, dict) else None
            return json_response({"code": 400, "error": f"Invalid API key: {key}"}, 400)
        events = body.get("events")
        if not isinstance(events, list) or not events:
            return json_response(
                {"code": 400, "error": "Request missing required field", "missing_field": "events"}, 400
            )
        if len(events) > MAX_EVENTS:
            return json_response({"code": 413, "error": "Payload too large"}, 413)
        min_length = int((body.get("options") or {}).get("min_id_length") or 5)
        problems = _problems(events, min_length)
        if any(problems.values()):
            answer = {"code": 400, "error": "Invalid field values on some events"}
            answer |= {name: dict(found) for name, found in problems.items() if found}
            return json_response(answer, 400)
        for position, event in enumerate(events):
            self.ingested[str(event.get("insert_id") or f"#{len(self.ingested)}-{position}")] = event
            if event["event_type"] == "$identify":
                self._identify(event)
        return json_response(
            {
                "code": 200,
                "events_ingested": len(events),
                "payload_size_bytes": len(raw),
                "server_upload_time": int(time.time() * 1000),
            }
        )

    def _identify(self, event: dict[str, Any]) -> None:
        wanted = str(event.get("user_id") or "")
        digits = wanted.removeprefix("user-")
        if not digits.isdigit() or not self.population.exists(int(digits)):
            return
        person = self.population.person(int(digits))
        if self.user_id(person) != wanted:
            return
        values = (event.get("user_properties") or {}).get("$set") or {}
        self.population.update(person.index, extra={k: _text(v) for k, v in values.items()})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _problems(events: list[Any], min_length: int) -> dict[str, dict[str, list[int]]]:
    missing: dict[str, list[int]] = defaultdict(list)
    invalid: dict[str, list[int]] = defaultdict(list)
    short: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            invalid["event"].append(index)
            continue
        if not event.get("event_type"):
            missing["event_type"].append(index)
        if not event.get("user_id") and not event.get("device_id"):
            missing["user_id"].append(index)
        for name in ("user_id", "device_id"):
            if event.get(name) and len(str(event[name])) < min_length:
                short[name].append(index)
        if "time" in event and (not isinstance(event["time"], int) or isinstance(event["time"], bool)):
            invalid["time"].append(index)
        for name in ("event_properties", "user_properties"):
            if name in event and not isinstance(event[name], dict):
                invalid[name].append(index)
    return {
        "events_with_missing_fields": missing,
        "events_with_invalid_fields": invalid,
        "events_with_invalid_id_lengths": short,
    }
