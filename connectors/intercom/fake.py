"""Intercom REST imitation: contact search and listing, segments, tags (see apis.md §5), and messages.

Segments are the cohorts. Search reads its cursor only from the body's ``pagination``
object, as Intercom does: a ``starting_after`` in the query string is ignored and page one
comes back again, which is the mistake this fake exists to catch. Cursors name the last
contact returned (not an offset), so paging stays exact while members come and go.
Intercom has no time-zone field on contacts; the generated workspace keeps it in the
``time_zone`` custom attribute next to ``plan``. Messages and conversations live in
``fake_messages.py``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
import uuid
from functools import cache, partial
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.intercom.fake_messages import IntercomMessaging
from connectors.intercom.search import evaluate, validate
from connectors.sdk.fakes.population import COUNTRY_BY_CODE, Person, utcnow
from connectors.sdk.fakes.server import ApiError, as_int, json_response, read_json

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


def _cursor(created_at: int, contact_id: str) -> str:
    return base64.b64encode(json.dumps([created_at * 1000, contact_id]).encode()).decode()


class IntercomFake(IntercomMessaging):
    default_rate_limit = (1666, 10.0)  # 10,000/min per app, enforced in 10-second windows
    standard_custom_fields = frozenset({"plan", "time_zone"})

    def __init__(self, *, token: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"intercom-fake:{self.seed}")
        self.token = token or base64.b64encode(f"tok:{uid}:1:0".encode()).decode().rstrip("=")
        self.workspace_id = uid.hex[:8]
        self.tags: dict[str, str] = {}
        self.tagged: dict[str, set[int]] = {}

    def routes(self) -> list[Rule]:
        return [
            Rule("/contacts/search", methods=["POST"], endpoint="search_contacts"),
            Rule("/contacts", methods=["GET"], endpoint="list_contacts"),
            Rule("/contacts/<contact_id>", methods=["GET"], endpoint="get_contact"),
            Rule("/contacts/<contact_id>", methods=["PUT"], endpoint="update_contact"),
            Rule("/contacts/<contact_id>/segments", methods=["GET"], endpoint="contact_segments"),
            Rule("/contacts/<contact_id>/tags", methods=["GET"], endpoint="contact_tags"),
            Rule("/contacts/<contact_id>/tags", methods=["POST"], endpoint="tag_contact"),
            Rule("/contacts/<contact_id>/tags/<tag_id>", methods=["DELETE"], endpoint="untag_contact"),
            Rule("/segments", methods=["GET"], endpoint="list_segments"),
            Rule("/segments/<segment_id>", methods=["GET"], endpoint="get_segment"),
            Rule("/tags", methods=["GET"], endpoint="list_tags"),
            Rule("/tags", methods=["POST"], endpoint="save_tag"),
            *self.messaging_routes(),
        ]

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

    # -- search -------------------------------------------------------------------------------
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

    # -- contacts, segments, tags -------------------------------------------------------------
    def get_contact(self, request: Request, contact_id: str) -> Response:
        return json_response(self.contact(self._index(contact_id)))

    def update_contact(self, request: Request, contact_id: str) -> Response:
        index, body = self._index(contact_id), read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        unknown = [k for k in body.get("custom_attributes") or {} if k not in self.custom_fields]
        if unknown:
            raise ApiError(400, f"Custom attribute '{unknown[0]}' does not exist")
        extra = {k: body[k] for k in STANDARD_WRITABLE if k in body}
        custom = dict(body.get("custom_attributes") or {})
        changes: dict[str, Any] = {"plan": str(custom.pop("plan"))} if "plan" in custom else {}
        if "time_zone" in custom:
            changes["time_zone"] = str(custom.pop("time_zone"))
        if "email" in body:
            changes["email"] = body["email"] or None
        extra |= {f"custom_attributes.{k}": v for k, v in custom.items()}
        self.population.update(index, extra=extra, **changes)
        return json_response(self.contact(index))

    def contact_segments(self, request: Request, contact_id: str) -> Response:
        index = self._index(contact_id)
        data = [
            self.segment(c, False)
            for c in range(len(self.population.cohorts))
            if self.population.in_cohort(c, index)
        ]
        return json_response({"type": "list", "data": data})

    def contact_tags(self, request: Request, contact_id: str) -> Response:
        index = self._index(contact_id)
        return json_response(
            {"type": "list", "data": [self._tag(t) for t, m in self.tagged.items() if index in m]}
        )

    def tag_contact(self, request: Request, contact_id: str) -> Response:
        index, body = self._index(contact_id), read_json(request) or {}
        tag = self._tag(str(body.get("id", "")))
        self.tagged[tag["id"]].add(index)
        self.population.version += 1
        return json_response(tag)

    def untag_contact(self, request: Request, contact_id: str, tag_id: str) -> Response:
        index, tag = self._index(contact_id), self._tag(tag_id)
        self.tagged[tag_id].discard(index)
        self.population.version += 1
        return json_response(tag)

    def list_segments(self, request: Request) -> Response:
        with_count = request.args.get("include_count") == "true"
        segments = [self.segment(c, with_count) for c in range(len(self.population.cohorts))]
        return json_response({"type": "segment.list", "segments": segments})

    def get_segment(self, request: Request, segment_id: str) -> Response:
        cohort = self._segment_cohort(segment_id)
        if cohort is None:
            raise ApiError(404, "Segment Not Found")
        return json_response(self.segment(cohort, request.args.get("include_count") == "true"))

    def list_tags(self, request: Request) -> Response:
        return json_response({"type": "list", "data": [self._tag(t) for t in self.tags]})

    def save_tag(self, request: Request) -> Response:
        body = read_json(request) or {}
        name = str(body.get("name") or "").strip()
        if not name:
            raise ApiError(400, "name is required")
        tag_id = str(body.get("id") or next((t for t, n in self.tags.items() if n == name), ""))
        if not tag_id:
            tag_id = str(7_000_001 + len(self.tags))
            self.tagged[tag_id] = set()
        elif tag_id not in self.tags:
            raise ApiError(404, "Tag not found", "tag_not_found")
        self.tags[tag_id] = name
        return json_response(self._tag(tag_id))


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> IntercomFake:
    """Serve an Intercom fake; options: ``tls``, ``token``, ``custom_fields``."""
    return IntercomFake(port=port, members=members, seed=seed, **options).serve()
