"""The HubSpot fake's records: ids, errors as HubSpot words them, contacts and lists rendered as
``hubspot-api-client`` deserialises them. The list and contact endpoints build on this class."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import json_response, numeric_index
from connectors.sdk.fakes.population import COUNTRY_BY_CODE, Person, utcnow
from connectors.sdk.fakes.server import FakeServer

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


class HubSpotRecords(FakeServer):
    default_rate_limit = (100, 10.0)  # private app on a Free/Starter account
    standard_custom_fields = frozenset({"plan"})

    def __init__(self, *, token: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.token = token or f"pat-na1-{uuid.uuid5(uuid.NAMESPACE_URL, f'hubspot-fake:{self.seed}')}"
        self.portal_id = str(20_000_000 + self.seed)

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
