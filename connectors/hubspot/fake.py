"""HubSpot CRM v3 imitation: lists, list memberships and contacts (see shared apis.md §3).

Shapes follow what ``hubspot-api-client`` 12 deserialises with client-side validation on,
so a missing required key fails in the SDK exactly as it would against a broken server.
Contacts are the shared generated population; a list is a cohort. Lists 11-12 are
DYNAMIC (membership changes only through the control surface, as if HubSpot re-evaluated
their filters), lists 13-14 are MANUAL and also accept ``PUT .../memberships/add|remove``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.hubspot.fake_properties import properties_page
from connectors.hubspot.search import comparable, matches_filter, sort_key
from connectors.sdk.fakes.population import COUNTRY_BY_CODE, Person, utcnow
from connectors.sdk.fakes.server import ApiError, FakeServer, as_int, json_response, numeric_index, read_json

ID_BASE = 100_001
FIRST_LIST_ID = 11
MANUAL_LISTS = frozenset({2, 3})
DEFAULT_PROPERTIES = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")
ALWAYS_RETURNED = ("createdate", "hs_object_id", "lastmodifieddate")
READ_ONLY = frozenset({"createdate", "hs_object_id", "lastmodifieddate"})
WRITABLE = {"email": "email", "firstname": "first_name", "lastname": "last_name", "plan": "plan"}
STANDARD = frozenset(
    {*DEFAULT_PROPERTIES, "country", "hs_timezone", "phone", "company", "lifecyclestage", "jobtitle"}
)
SEARCH_MAX_LIMIT, SEARCH_MAX_RESULTS = 200, 10_000
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
}


def hs_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hs_timezone(zone: str) -> str:
    """HubSpot's ``hs_timezone`` enumeration spells ``America/New_York`` as ``america_slash_new_york``."""
    return zone.lower().replace("/", "_slash_")


def _token(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"rid:{record_id}".encode()).decode().rstrip("=")


def _untoken(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Invalid paging token: {token}") from exc
    if not re.fullmatch(r"rid:\d+", raw):
        raise ApiError(400, f"Invalid paging token: {token}")
    return int(raw[4:])


class HubSpotFake(FakeServer):
    default_rate_limit = (100, 10.0)  # private app on a Free/Starter account
    standard_custom_fields = frozenset({"plan"})

    def __init__(self, *, token: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.token = token or f"pat-na1-{uuid.uuid5(uuid.NAMESPACE_URL, f'hubspot-fake:{self.seed}')}"
        self.portal_id = str(20_000_000 + self.seed)

    def routes(self) -> list[Rule]:
        return [
            Rule("/crm/v3/lists/", methods=["GET"], endpoint="get_lists"),
            Rule("/crm/v3/lists/search", methods=["POST"], endpoint="search_lists"),
            Rule("/crm/v3/lists/<list_id>", methods=["GET"], endpoint="get_list"),
            Rule("/crm/v3/lists/<list_id>/memberships", methods=["GET"], endpoint="get_memberships"),
            Rule(
                "/crm/v3/lists/<list_id>/memberships/<any(add, remove):action>",
                methods=["PUT"],
                endpoint="change_memberships",
            ),
            Rule("/crm/v3/objects/contacts/batch/read", methods=["POST"], endpoint="batch_read"),
            Rule("/crm/v3/objects/contacts/batch/update", methods=["POST"], endpoint="batch_update"),
            Rule("/crm/v3/objects/contacts/search", methods=["POST"], endpoint="search_contacts"),
            Rule("/crm/v3/objects/contacts/<contact_id>", methods=["GET"], endpoint="get_contact"),
            Rule("/crm/v3/objects/contacts/<contact_id>", methods=["PATCH"], endpoint="update_contact"),
            Rule("/crm/v3/properties/contacts", methods=["GET"], endpoint="contact_properties"),
        ]

    # -- identity and dialect ---------------------------------------------------------------
    def member_id(self, index: int) -> str:
        return str(ID_BASE + index)

    def member_index(self, member_id: str) -> int:
        return numeric_index(member_id, ID_BASE, self.population.exists)

    def source_ref(self, cohort: int) -> str:
        return str(FIRST_LIST_ID + cohort)

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        correlation = str(uuid.uuid4())
        if status == 429:
            usage = self.usage()
            body = {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": correlation,
                "policyName": "TEN_SECONDLY_ROLLING",
                "groupName": f"publicapi:private-app:{self.portal_id}",
            }
            wait = (
                retry_after
                if retry_after is not None
                else max(1, round(usage.reset_at - utcnow().timestamp()))
            )
            return json_response(body, 429, {"Retry-After": str(wait), "X-HubSpot-RateLimit-Remaining": "0"})
        if status == 401:
            message = AUTH_MESSAGE
        elif status >= 500:
            message = message or ("internal error" if status == 500 else "Service Unavailable")
        body = {
            "status": "error",
            "message": message or "resource not found",
            "correlationId": correlation,
            "category": code or CATEGORIES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST"),
        }
        return json_response(
            body, status, {"Retry-After": str(retry_after)} if retry_after is not None else None
        )

    def decorate(self, request: Request, response: Response) -> None:
        response.headers["X-HubSpot-Correlation-Id"] = str(uuid.uuid4())
        if request.path.endswith("/search") or response.status_code == 401:
            return  # HubSpot omits the rolling-window headers on search [unconf]
        usage = self.usage()
        response.headers.setdefault("X-HubSpot-RateLimit-Max", str(usage.limit))
        response.headers.setdefault("X-HubSpot-RateLimit-Remaining", str(usage.remaining))
        response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(int(usage.window_s * 1000))
        response.headers["X-HubSpot-RateLimit-Daily"] = "250000"
        response.headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, 250_000 - self.request_count))

    # -- rendering ----------------------------------------------------------------------------
    def properties(self, person: Person) -> dict[str, str | None]:
        country = COUNTRY_BY_CODE.get(person.country)
        return {
            "hs_object_id": self.member_id(person.index),
            "email": person.email,
            "firstname": person.first_name,
            "lastname": person.last_name,
            "plan": person.plan,
            "country": country.name if country else person.country,
            "hs_timezone": hs_timezone(person.time_zone),
            "createdate": hs_time(person.created_at),
            "lastmodifieddate": hs_time(person.updated_at),
            **person.extra,
        }

    def contact(self, index: int, wanted: list[str] | None) -> dict[str, Any]:
        person = self.population.person(index)
        values = self.properties(person)
        names = list(dict.fromkeys([*wanted, *ALWAYS_RETURNED])) if wanted else list(DEFAULT_PROPERTIES)
        known = STANDARD | self.custom_fields
        return {
            "id": self.member_id(index),
            "properties": {n: values.get(n) for n in names if n in known},
            "createdAt": hs_time(person.created_at),
            "updatedAt": hs_time(person.updated_at),
            "archived": False,
        }

    def list_object(self, cohort: int) -> dict[str, Any]:
        created = (
            hs_time(self.population.person(0).created_at) if self.population.total else hs_time(utcnow())
        )
        return {
            "listId": self.source_ref(cohort),
            "listVersion": 1 + self.population.version,
            "name": self.population.cohorts[cohort].name,
            "objectTypeId": "0-1",
            "processingType": "MANUAL" if cohort in MANUAL_LISTS else "DYNAMIC",
            "processingStatus": "COMPLETE",
            "createdAt": created,
            "updatedAt": hs_time(utcnow()),
            "createdById": "1",
            "updatedById": "1",
            "size": self.population.count(cohort),
        }

    # -- lists --------------------------------------------------------------------------------
    def _cohort(self, list_id: str) -> int:
        try:
            return self.cohort_index(list_id)
        except KeyError as exc:
            raise ApiError(404, f"List does not exist with listId {list_id}") from exc

    def get_lists(self, request: Request) -> Response:
        wanted = request.args.getlist("listIds")
        lists = [
            self.list_object(c) for c in range(len(self.population.cohorts)) if self.source_ref(c) in wanted
        ]
        return json_response({"lists": lists})

    def get_list(self, request: Request, list_id: str) -> Response:
        return json_response({"list": self.list_object(self._cohort(list_id))})

    def search_lists(self, request: Request) -> Response:
        body = read_json(request) or {}
        query, offset, count = (
            str(body.get("query") or "").lower(),
            as_int(body.get("offset", 0), "offset"),
            as_int(body.get("count", 20), "count"),
        )
        found = []
        for cohort in range(len(self.population.cohorts)):
            item = self.list_object(cohort)
            if query in item["name"].lower() and (
                not body.get("listIds") or item["listId"] in body["listIds"]
            ):
                found.append({**item, "additionalProperties": {"hs_list_size": str(item["size"])}})
        page = found[offset : offset + count]
        return json_response(
            {
                "lists": page,
                "total": len(found),
                "offset": offset + len(page),
                "hasMore": offset + len(page) < len(found),
            }
        )

    def get_memberships(self, request: Request, list_id: str) -> Response:
        cohort = self._cohort(list_id)
        limit = request.args.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 250:
            raise ApiError(400, f"limit must be between 1 and 250, got {limit}")
        after, before = request.args.get("after"), request.args.get("before")
        descending = after is None and before is not None  # `after` wins when both are given
        if descending:
            indices = self.population.members(cohort, before=_untoken(str(before)) - ID_BASE)
        else:
            indices = self.population.members(cohort, _untoken(after) - ID_BASE if after else -1)
        page = [i for _, i in zip(range(int(limit) + 1), indices, strict=False)]
        more, page = len(page) > int(limit), page[: int(limit)]
        link = f"{request.host_url.rstrip('/')}/crm/v3/lists/{list_id}/memberships?limit={limit}"
        paging: dict[str, Any] = {}
        if page:
            first, last = _token(self.member_id(page[0])), _token(self.member_id(page[-1]))
            forward, backward = (first, last) if descending else (last, first)
            if more or descending:
                paging["next"] = {"after": forward, "link": f"{link}&after={forward}"}
            if after or descending and more:
                paging["prev"] = {"before": backward, "link": f"{link}&before={backward}"}
        results = [
            {
                "recordId": self.member_id(i),
                "membershipTimestamp": hs_time(self.population.joined_at(cohort, i)),
            }
            for i in page
        ]
        body: dict[str, Any] = {"results": results, "total": self.population.count(cohort)}
        if paging:
            body["paging"] = paging
        return json_response(body)

    def change_memberships(self, request: Request, list_id: str, action: str) -> Response:
        cohort = self._cohort(list_id)
        if cohort not in MANUAL_LISTS:
            raise ApiError(
                400,
                f"List {list_id} has processingType DYNAMIC; only MANUAL and SNAPSHOT lists "
                "can have memberships changed directly",
            )
        ids = read_json(request)
        if not isinstance(ids, list):
            raise ApiError(400, "Request body must be a JSON array of record ids")
        done, missing = [], []
        for record_id in map(str, ids):
            try:
                index = self.member_index(record_id)
            except KeyError:
                missing.append(record_id)
                continue
            if action == "add":
                self.population.join(cohort, index)
                done.append(record_id)
            elif self.population.in_cohort(cohort, index):
                self.population.leave(cohort, index)
                done.append(record_id)
            else:
                missing.append(record_id)
        added, removed = (done, []) if action == "add" else ([], done)
        return json_response(
            {"recordsIdsAdded": added, "recordIdsRemoved": removed, "recordIdsMissing": missing}
        )

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


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> HubSpotFake:
    """Serve a HubSpot fake; options: ``tls``, ``token``, ``custom_fields``."""
    return HubSpotFake(port=port, members=members, seed=seed, **options).serve()
