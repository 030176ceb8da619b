"""The Intercom fake's contact search and listing: the query validated as Intercom does, cursors
read only from the body's `pagination` and naming the last contact returned."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
from functools import cache, partial
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.intercom.fake_records import DEFAULT_PER_PAGE, MAX_PER_PAGE, IntercomRecords
from connectors.intercom.search import evaluate, validate
from connectors.sdk.fakes.handlers import ApiError, as_int, json_response, read_json


def _cursor(created_at: int, contact_id: str) -> str:
    return base64.b64encode(json.dumps([created_at * 1000, contact_id]).encode()).decode()


class IntercomSearch(IntercomRecords):
    def _segment_cohort(self, value: Any) -> int | None:
        try:
            return self.cohort_index(str(value))
        except KeyError:
            return None

    def _member(self, field: str, ref: Any, index: int) -> bool:
        if field == "tag_id":
            return index in self.tagged.get(str(ref), set())
        cohort = self._segment_cohort(ref)
        return cohort is not None and self.population.in_cohort(cohort, index)

    def _matches(self, query: dict[str, Any]) -> list[int]:
        return [
            i
            for i in self._candidates(query)
            if evaluate(query, cache(partial(self.contact, i)), partial(self._member, index=i))
        ]

    def _candidates(self, query: dict[str, Any]) -> Any:
        pinned = [query] if "field" in query else (query["value"] if query.get("operator") == "AND" else [])
        for node in pinned:
            if "field" in node and node["operator"] == "=" and isinstance(node.get("value"), str):
                if node["field"] == "email":
                    index = self.population.index_of_email(node["value"])
                    return [] if index is None else [index]
                if node["field"] == "segment_id":
                    cohort = self._segment_cohort(node["value"])
                    return [] if cohort is None else self.population.members(cohort)
                if node["field"] == "tag_id":
                    return sorted(self.tagged.get(node["value"], set()))
        return range(self.population.total)

    def _page(
        self, matches: list[int], per_page: int, starting_after: str | None, descending: bool
    ) -> Response:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ApiError(400, f"per_page must be between 1 and {MAX_PER_PAGE}")
        position = 0
        if starting_after:
            try:
                _, last_id = json.loads(base64.b64decode(starting_after, validate=True))
                last = self.member_index(str(last_id))
            except (ValueError, binascii.Error, KeyError, TypeError) as exc:
                raise ApiError(400, "starting_after is not a valid cursor") from exc
            position = (
                len(matches) - bisect.bisect_left(matches, last)
                if descending
                else bisect.bisect_right(matches, last)
            )
        ordered = matches[::-1] if descending else matches
        data = [self.contact(i) for i in ordered[position : position + per_page]]
        page = position // per_page + 1
        pages: dict[str, Any] = {
            "type": "pages",
            "page": page,
            "per_page": per_page,
            "total_pages": math.ceil(len(matches) / per_page),
        }
        if position + per_page < len(matches) and data:
            pages["next"] = {
                "page": page + 1,
                "starting_after": _cursor(data[-1]["created_at"], data[-1]["id"]),
            }
        return json_response({"type": "list", "data": data, "total_count": len(matches), "pages": pages})

    def search_contacts(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
            raise ApiError(400, "query parameter is required")
        query = body["query"]
        validate(query)
        sort = body.get("sort") or {"field": "created_at", "order": "ascending"}
        if sort.get("field") not in ("created_at", "id") or sort.get("order") not in (
            "ascending",
            "descending",
        ):
            raise ApiError(400, "sort supports field created_at|id with order ascending|descending")
        pagination = body.get("pagination") or {}
        key = ("search", json.dumps(query, sort_keys=True))
        matches = self.cached(key, lambda: self._matches(query))
        return self._page(
            matches,
            as_int(pagination.get("per_page", DEFAULT_PER_PAGE), "per_page"),
            pagination.get("starting_after"),
            sort["order"] == "descending",
        )

    def list_contacts(self, request: Request) -> Response:
        matches = self.cached(("all",), lambda: list(range(self.population.total)))
        return self._page(
            matches,
            as_int(request.args.get("per_page", DEFAULT_PER_PAGE), "per_page"),
            request.args.get("starting_after"),
            descending=False,
        )
