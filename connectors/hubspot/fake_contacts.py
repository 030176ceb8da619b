"""The HubSpot fake's contacts: read, search, update one or a batch, and the property list;
a write naming a property HubSpot will not take is refused whole, naming each."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.hubspot.fake_properties import properties_page
from connectors.hubspot.fake_records import (
    READ_ONLY,
    SEARCH_MAX_LIMIT,
    SEARCH_MAX_RESULTS,
    STANDARD,
    WRITABLE,
    HubSpotRecords,
    hs_time,
)
from connectors.hubspot.search import comparable, matches_filter, sort_key
from connectors.sdk.fakes.handlers import ApiError, as_int, json_response, read_json
from connectors.sdk.fakes.population import utcnow


class HubSpotContacts(HubSpotRecords):
    # -- contacts -----------------------------------------------------------------------------
    def _find(self, key: str, id_property: str | None) -> int | None:
        if id_property in (None, "hs_object_id"):
            try:
                return self.member_index(key)
            except KeyError:
                return None
        if id_property == "email":
            return self.population.index_of_email(key)
        raise ApiError(400, f"Property {id_property} is not a unique identifier property")

    def _check(self, values: Any) -> None:
        """HubSpot refuses a whole write (a batch too) naming each property it will not take."""
        if not isinstance(values, dict):
            raise ApiError(400, "properties must be an object")
        known = STANDARD | self.custom_fields
        invalid = [name for name in values if name in READ_ONLY or name not in known]
        if invalid:
            details = [
                {
                    "isValid": False,
                    "name": n,
                    "message": f'Property "{n}" {"is read-only" if n in READ_ONLY else "does not exist"}',
                    "error": "READ_ONLY_VALUE" if n in READ_ONLY else "PROPERTY_DOESNT_EXIST",
                }
                for n in invalid
            ]
            raise ApiError(
                400, f"Property values were not valid: {json.dumps(details, separators=(',', ':'))}"
            )

    def _write(self, index: int, values: dict[str, Any]) -> None:
        self._check(values)
        canonical: dict[str, Any] = {}
        extra: dict[str, str | None] = {}
        for name, value in values.items():
            text = None if value in (None, "") else str(value)
            if name in WRITABLE:
                canonical[WRITABLE[name]] = text if name == "email" else (text or "")
            else:
                extra[name] = text
        self.population.update(index, extra=extra, **canonical)

    def _batch(self, request: Request, *, write: bool) -> Response:
        started, body = utcnow(), read_json(request) or {}
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or len(inputs) > 100:
            raise ApiError(400, "inputs must be a list of at most 100 items")
        results, missing = [], []
        if write:
            for item in inputs:
                self._check(item.get("properties") or {})
        for item in inputs:
            id_property = item.get("idProperty") if write else body.get("idProperty")
            index = self._find(str(item.get("id", "")), id_property)
            if index is None:
                missing.append(str(item.get("id")))
                continue
            if write:
                self._write(index, item.get("properties") or {})
            wanted = list((item.get("properties") or {}) if write else body.get("properties") or [])
            results.append(self.contact(index, wanted))
        payload: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": hs_time(started),
            "completedAt": hs_time(utcnow()),
        }
        if not missing:
            return json_response(payload)
        payload["numErrors"] = 1
        payload["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "context": {"ids": missing},
                "message": "Could not get some CONTACT objects, they may be deleted or not exist. "
                "Check that ids are valid.",
                "errors": [],
                "links": {},
            }
        ]
        return json_response(payload, 207)

    def batch_read(self, request: Request) -> Response:
        return self._batch(request, write=False)

    def batch_update(self, request: Request) -> Response:
        return self._batch(request, write=True)

    def contact_properties(self, request: Request) -> Response:
        return json_response(properties_page(STANDARD, self.custom_fields, READ_ONLY))

    def get_contact(self, request: Request, contact_id: str) -> Response:
        index = self._find(contact_id, request.args.get("idProperty"))
        if index is None:
            raise ApiError(404, "resource not found")
        wanted = [p for value in request.args.getlist("properties") for p in value.split(",") if p]
        return json_response(self.contact(index, wanted))

    def update_contact(self, request: Request, contact_id: str) -> Response:
        index = self._find(contact_id, request.args.get("idProperty"))
        if index is None:
            raise ApiError(404, "resource not found")
        values = (read_json(request) or {}).get("properties")
        if not isinstance(values, dict):
            raise ApiError(400, "properties is required and must be an object")
        self._write(index, values)
        return json_response(self.contact(index, list(values)))

    def search_contacts(self, request: Request) -> Response:
        body = read_json(request) or {}
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or any(len(g.get("filters") or []) > 6 for g in groups):
            raise ApiError(400, "Too many filter groups or filters: at most 5 groups of 6 filters")
        limit, after = as_int(body.get("limit") or 10, "limit"), as_int(body.get("after") or 0, "after")
        if not 1 <= limit <= SEARCH_MAX_LIMIT:
            raise ApiError(400, f"limit must be between 1 and {SEARCH_MAX_LIMIT}")
        if after + limit > SEARCH_MAX_RESULTS:
            raise ApiError(400, f"Search results are limited to {SEARCH_MAX_RESULTS} records per query")
        sorts = body.get("sorts") or []
        key = ("search", repr(groups), str(body.get("query") or ""), repr(sorts))
        matches = self.cached(key, lambda: self._search(groups, str(body.get("query") or ""), sorts))
        page = matches[after : after + limit]
        payload: dict[str, Any] = {
            "total": len(matches),
            "results": [self.contact(i, body.get("properties") or None) for i in page],
        }
        if after + limit < len(matches):
            payload["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(payload)

    def _search(self, groups: list[dict[str, Any]], query: str, sorts: list[Any]) -> list[int]:
        candidates: Any = range(self.population.total)
        emails = [
            f.get("value")
            for g in groups
            for f in g.get("filters") or []
            if f.get("propertyName") == "email" and f.get("operator") == "EQ"
        ]
        if groups and len(emails) == len(groups):  # every group pins an email: look them up directly
            candidates = sorted(
                {i for e in emails if (i := self.population.index_of_email(str(e))) is not None}
            )
        matches = []
        for index in candidates:
            values = self.properties(self.population.person(index))
            if query and not any(
                query.lower() in (values.get(p) or "").lower() for p in ("email", "firstname", "lastname")
            ):
                continue
            if not groups or any(
                all(matches_filter(values, f) for f in g.get("filters") or []) for g in groups
            ):
                matches.append(index)
        if sorts:
            spec = sorts[0]
            if not isinstance(spec, dict) or spec.get("direction", "ASCENDING") not in (
                "ASCENDING",
                "DESCENDING",
            ):
                raise ApiError(
                    400, "sorts must be objects with propertyName and direction ASCENDING|DESCENDING"
                )
            name = str(spec.get("propertyName"))
            matches.sort(
                key=lambda i: sort_key(
                    comparable(name, self.properties(self.population.person(i)).get(name))
                ),
                reverse=spec.get("direction") == "DESCENDING",
            )
        return matches
