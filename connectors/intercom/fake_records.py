"""The Intercom fake's records: ids, errors as Intercom words them, contacts, segments and tags
rendered as the REST API returns them. Search and the contact endpoints build on this class."""

from __future__ import annotations

import base64
import math
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.intercom.fake_messages import IntercomMessaging
from connectors.sdk.fakes.handlers import ApiError, json_response
from connectors.sdk.fakes.population import COUNTRY_BY_CODE, Person, utcnow

MAX_PER_PAGE, DEFAULT_PER_PAGE = 150, 50
STANDARD_WRITABLE = (
    "role",
    "external_id",
    "phone",
    "name",
    "avatar",
    "signed_up_at",
    "last_seen_at",
    "owner_id",
    "unsubscribed_from_emails",
)
CONTINENTS = {
    "US": "NA",
    "CA": "NA",
    "BR": "SA",
    "GB": "EU",
    "DE": "EU",
    "FR": "EU",
    "NL": "EU",
    "ES": "EU",
    "IN": "AS",
    "JP": "AS",
    "AU": "OC",
}
CODES = {
    400: "parameter_invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    500: "server_error",
    503: "service_unavailable",
}
MESSAGES = {
    400: "Bad Request",
    401: "Access Token Invalid",
    403: "Forbidden",
    404: "Resource Not Found",
    405: "Method Not Allowed",
    500: "Server Error",
    503: "Service Unavailable",
}


class IntercomRecords(IntercomMessaging):
    default_rate_limit = (1666, 10.0)  # 10,000/min per app, enforced in 10-second windows
    standard_custom_fields = frozenset({"plan", "time_zone"})

    def __init__(self, *, token: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"intercom-fake:{self.seed}")
        self.token = token or base64.b64encode(f"tok:{uid}:1:0".encode()).decode().rstrip("=")
        self.workspace_id = uid.hex[:8]
        self.tags: dict[str, str] = {}
        self.tagged: dict[str, set[int]] = {}

    # -- identity and dialect ---------------------------------------------------------------
    def member_id(self, index: int) -> str:
        return f"64{self.seed % 16**6:06x}{index:016x}"

    def member_index(self, member_id: str) -> int:
        prefix = self.member_id(0)[:8]
        try:
            index = int(member_id[8:], 16) if len(member_id) == 24 and member_id.startswith(prefix) else -1
        except ValueError:
            index = -1
        if not self.population.exists(index):
            raise KeyError(member_id)
        return index

    def source_ref(self, cohort: int) -> str:
        return f"5e{self.seed % 16**6:06x}{cohort + 1:016x}"

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        request_id = f"{uuid.uuid4().hex[:20]}"
        headers = {"X-Request-Id": request_id}
        if status == 429:
            usage = self.usage()
            reset = (
                int(utcnow().timestamp()) + retry_after
                if retry_after is not None
                else math.ceil(usage.reset_at)
            )
            headers |= {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
            code, message = (
                "rate_limit_exceeded",
                f"Exceeded rate limit of {usage.limit} in {int(usage.window_s)}_seconds",
            )
        elif status == 401:
            message = MESSAGES[401]
        body = {
            "type": "error.list",
            "request_id": request_id,
            "errors": [
                {
                    "code": code
                    or CODES.get(status, "server_error" if status >= 500 else "parameter_invalid"),
                    "message": message or MESSAGES.get(status, "Server Error"),
                }
            ],
        }
        return json_response(body, status, headers)

    def decorate(self, request: Request, response: Response) -> None:
        usage = self.usage()
        response.headers.setdefault("X-Request-Id", uuid.uuid4().hex[:20])
        response.headers["X-RateLimit-Limit"] = str(usage.limit)
        response.headers.setdefault("X-RateLimit-Remaining", str(usage.remaining))
        response.headers.setdefault("X-RateLimit-Reset", str(math.ceil(usage.reset_at)))

    # -- rendering ----------------------------------------------------------------------------
    def contact(self, index: int) -> dict[str, Any]:
        person: Person = self.population.person(index)
        contact_id, created = self.member_id(index), int(person.created_at.timestamp())
        country = COUNTRY_BY_CODE.get(person.country)
        tags = [
            {"type": "tag", "id": t, "url": f"/tags/{t}"}
            for t, members in self.tagged.items()
            if index in members
        ]
        custom = {"plan": person.plan, "time_zone": person.time_zone}
        standard = {k: v for k, v in person.extra.items() if not k.startswith("custom_attributes.")}
        custom |= {
            k.split(".", 1)[1]: v for k, v in person.extra.items() if k.startswith("custom_attributes.")
        }
        return {
            "type": "contact",
            "id": contact_id,
            "workspace_id": self.workspace_id,
            "external_id": f"user-{index}",
            "role": "user",
            "email": person.email,
            "email_domain": person.email.rsplit("@", 1)[-1] if person.email else None,
            "phone": None,
            "formatted_phone": None,
            "name": f"{person.first_name} {person.last_name}".strip(),
            "avatar": None,
            "owner_id": None,
            "has_hard_bounced": False,
            "marked_email_as_spam": False,
            "unsubscribed_from_emails": False,
            "created_at": created,
            "updated_at": int(person.updated_at.timestamp()),
            "signed_up_at": created,
            "last_seen_at": None,
            "last_replied_at": None,
            "last_contacted_at": None,
            "last_email_opened_at": None,
            "last_email_clicked_at": None,
            "language_override": None,
            "browser": None,
            "browser_version": None,
            "browser_language": None,
            "os": None,
            "location": {
                "type": "location",
                "country": country.name if country else None,
                "region": None,
                "city": None,
                "country_code": country.iso3 if country else None,
                "continent_code": CONTINENTS.get(person.country),
            },
            "custom_attributes": custom,
            "tags": {
                "type": "list",
                "data": tags,
                "url": f"/contacts/{contact_id}/tags",
                "total_count": len(tags),
                "has_more": False,
            },
            "notes": {
                "type": "list",
                "data": [],
                "url": f"/contacts/{contact_id}/notes",
                "total_count": 0,
                "has_more": False,
            },
            "companies": {
                "type": "list",
                "data": [],
                "url": f"/contacts/{contact_id}/companies",
                "total_count": 0,
                "has_more": False,
            },
        } | standard

    def segment(self, cohort: int, with_count: bool) -> dict[str, Any]:
        created = int(self.population.person(0).created_at.timestamp()) if self.population.total else 0
        item: dict[str, Any] = {
            "type": "segment",
            "id": self.source_ref(cohort),
            "name": self.population.cohorts[cohort].name,
            "created_at": created,
            "updated_at": int(utcnow().timestamp()),
            "person_type": "user",
        }
        if with_count:
            item["count"] = self.population.count(cohort)
        return item

    def _index(self, contact_id: str) -> int:
        try:
            return self.member_index(contact_id)
        except KeyError as exc:
            raise ApiError(404, "User Not Found") from exc

    def _tag(self, tag_id: str) -> dict[str, str]:
        if tag_id not in self.tags:
            raise ApiError(404, "Tag not found", "tag_not_found")
        return {"type": "tag", "id": tag_id, "name": self.tags[tag_id]}
