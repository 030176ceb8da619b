"""Mixpanel's ingestion endpoints as the fake answers them: `/engage` profile updates, `/import` events.

`/engage` takes a batch of up to 2,000 updates (`data`, form-encoded as mixpanel-python sends
it, or a JSON body), each carrying the project token; it answers 200 even when it refuses
the batch, with `{"status": 0, "error": ...}` when `verbose=1`, and names no record.
`/import` takes up to 2,000 events (JSON array or NDJSON) with service-account Basic auth and
`project_id`; it ingests the valid events of a batch and, with `strict=1`, answers 400
naming each refused one in `failed_records` (its index, insert_id and field), as the docs
describe. Events are kept once per `$insert_id`, as Mixpanel deduplicates them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import ApiError, as_int, json_response
from connectors.sdk.fakes.population import Population

MAX_BATCH = 2000
PLACEHOLDER_IDS = frozenset({"", "anon", "anonymous", "nil", "none", "null", "n/a", "undefined", "0", "-1"})
INSERT_ID = re.compile(r"[A-Za-z0-9-]{1,36}")


class MixpanelIngest:
    """Mixed into MixpanelFake after FakeServer, whose population, ids and credentials it reads."""

    population: Population
    project_id: int
    project_token: str
    member_index: Callable[[str], int]

    def ingest_state(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """(profile properties set, by distinct_id; imported events, by insert_id)."""
        profiles: dict[str, dict[str, Any]] = self.__dict__.setdefault("_profiles", {})
        events: dict[str, dict[str, Any]] = self.__dict__.setdefault("_events", {})
        return profiles, events

    def engage_update(self, request: Request) -> Response:
        raw = request.form.get("data") if request.form else request.get_data(as_text=True)
        try:
            updates = json.loads(raw or "null")
        except ValueError:
            return self._engage_answer(request, "data, invalid JSON")
        updates = updates if isinstance(updates, list) else [updates]
        if len(updates) > MAX_BATCH:
            raise ApiError(400, f"batch of {len(updates)} updates is over the limit of {MAX_BATCH}")
        for update in updates:
            problem = self._engage_problem(update)
            if problem:
                return self._engage_answer(request, problem)
        profiles, _ = self.ingest_state()
        for update in updates:
            distinct_id = str(update["$distinct_id"])
            profiles.setdefault(distinct_id, {}).update(update.get("$set") or {})
            try:
                index = self.member_index(distinct_id)
            except KeyError:
                continue
            self.population.update(index, extra={k: str(v) for k, v in (update.get("$set") or {}).items()})
        return self._engage_answer(request, None)

    def _engage_problem(self, update: Any) -> str | None:
        if not isinstance(update, dict):
            return "each update must be a JSON object"
        if update.get("$token") != self.project_token:
            return "$token, invalid or missing project token"
        if not str(update.get("$distinct_id") or "").strip():
            return "$distinct_id, missing or empty"
        if "$set" in update and not isinstance(update["$set"], dict):
            return "$set, must be an object"
        return None

    @staticmethod
    def _engage_answer(request: Request, error: str | None) -> Response:
        verbose = (request.form.get("verbose") or request.args.get("verbose")) == "1"
        if verbose:
            return json_response({"status": 0 if error else 1, "error": error})
        return Response("0" if error else "1", mimetype="text/plain")

    def import_events(self, request: Request) -> Response:
        if as_int(request.args.get("project_id"), "project_id") != self.project_id:
            raise ApiError(401, "project_id does not match the service account's project")
        body = request.get_data(as_text=True)
        try:
            if request.mimetype == "application/x-ndjson":
                events = [json.loads(line) for line in body.splitlines() if line.strip()]
            else:
                events = json.loads(body or "null")
        except ValueError as exc:
            raise ApiError(400, f"invalid JSON: {exc}") from exc
        if not isinstance(events, list):
            events = [events]
        if len(events) > MAX_BATCH:
            return json_response(
                {"code": 413, "error": "too many events", "status": "Payload Too Large"}, 413
            )
        _, stored = self.ingest_state()
        failed = []
        for index, event in enumerate(events):
            problem = _event_problem(event)
            if problem:
                props = event.get("properties") if isinstance(event, dict) else None
                insert_id = (props or {}).get("$insert_id") if isinstance(props, dict) else None
                failed.append(
                    {"index": index, "insert_id": insert_id, "field": problem[0], "message": problem[1]}
                )
            else:
                stored[str(event["properties"]["$insert_id"])] = event
        imported = len(events) - len(failed)
        if failed and request.args.get("strict", "1") == "1":
            body_out = {
                "code": 400,
                "error": "some data points in the request failed validation",
                "status": "Bad Request",
                "num_records_imported": imported,
                "failed_records": failed,
            }
            return json_response(body_out, 400)
        return json_response({"code": 200, "num_records_imported": imported, "status": "OK"})


def _event_problem(event: Any) -> tuple[str, str] | None:
    if not isinstance(event, dict) or not str(event.get("event") or "").strip():
        return "event", "'event' must be a non-empty string"
    props = event.get("properties")
    if not isinstance(props, dict):
        return "properties", "'properties' must be an object"
    moment = props.get("time")
    if not isinstance(moment, int | float) or isinstance(moment, bool):
        return "properties.time", "'properties.time' is invalid: must be specified as seconds since epoch"
    seconds = moment / 1000 if moment > 1e11 else moment
    if seconds < 31_536_000 or seconds > time.time() + 3600:
        return "properties.time", "'properties.time' is invalid: before 1971 or more than an hour ahead"
    if str(props.get("distinct_id", "")).strip().lower() in PLACEHOLDER_IDS - {""}:
        return "properties.distinct_id", "'properties.distinct_id' is a placeholder value"
    if not INSERT_ID.fullmatch(str(props.get("$insert_id") or "")):
        return "properties.$insert_id", "'properties.$insert_id' is missing or malformed"
    return None
