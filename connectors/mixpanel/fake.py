"""Mixpanel Query API imitation: cohorts/list and Engage filtered by cohort (see apis.md §1).

Engage is the one way to read a cohort's people, so its paging is imitated closely: the
first call (no ``session_id``) opens a session that freezes the matching profiles and is
answered with its id; later calls must send that id with the same query and a page number,
and get slices of the frozen list (a short or empty page ends the walk). Parameters are read
the way the Query API reads them, from a form-encoded body or the query string; a JSON body
is refused. Service-account Basic auth with ``project_id`` in the query string; a wrong
account is Mixpanel's 401 with its error body, and past the allowance (``rate_limit()``,
default 60 queries an hour, not enforced unless asked) a 429 whose message says so.
Error bodies are ``{"error": ..., "status": "error"}``; the exact wording is unconfirmed.
It also pushes, as Mixpanel's cohort sync to a custom webhook does (``fake_push``).
"""

from __future__ import annotations

import json
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.mixpanel.fake_ingest import MixpanelIngest
from connectors.mixpanel.fake_push import MixpanelPusher
from connectors.sdk.fakes.handlers import ApiError, as_int, basic_matches, json_response
from connectors.sdk.fakes.population import Person
from connectors.sdk.fakes.pushing import PUSH_PATH
from connectors.sdk.fakes.server import FakeServer

COHORT_ID_BASE = 3_184_001
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE = 1000
MAX_SESSIONS = 32
AUTH_MESSAGE = "Unable to authenticate request"
MESSAGES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


@dataclass(frozen=True, slots=True)
class Session:
    """What one Engage session froze: the query it answers and the profiles that matched."""

    query: tuple[Any, ...]
    members: array[int]


def mp_time(moment: datetime) -> str:
    """Mixpanel's profile dates: ISO 8601 to the second, no zone."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


PROPERTIES: dict[str, Callable[[Person], Any]] = {
    "$email": lambda p: p.email,
    "$first_name": lambda p: p.first_name,
    "$last_name": lambda p: p.last_name,
    "$name": lambda p: f"{p.first_name} {p.last_name}",
    "$created": lambda p: mp_time(p.created_at),
    "$last_seen": lambda p: mp_time(p.updated_at),
    "$country_code": lambda p: p.country,
    "$timezone": lambda p: p.time_zone,
    "plan": lambda p: p.plan,
}
"""A generated person's profile properties; properties set since (`extra`) take precedence."""


class MixpanelFake(FakeServer, MixpanelPusher, MixpanelIngest):
    default_rate_limit = (60, 3600.0)  # Query API: 60 queries per hour per project
    standard_custom_fields = frozenset({"plan"})

    def __init__(self, *, username: str | None = None, secret: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"mixpanel-fake:{self.seed}")
        self.username = username or f"journeyhub-fake.{uid.hex[:6]}.mp-service-account"
        self.token = secret or uid.hex
        self.project_id = 2_900_000 + self.seed
        self.project_token = uuid.uuid5(uid, "project-token").hex
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def routes(self) -> list[Rule]:
        rules = []
        for prefix in ("/api/query", "/api/2.0"):  # the legacy path still answers
            rules += [
                Rule(f"{prefix}/cohorts/list", methods=["GET", "POST"], endpoint="list_cohorts"),
                Rule(f"{prefix}/engage", methods=["GET", "POST"], endpoint="engage"),
            ]
        return [
            *rules,
            Rule(PUSH_PATH, methods=["POST"], endpoint="push_route"),
            Rule("/engage", methods=["POST"], endpoint="engage_update"),
            Rule("/import", methods=["POST"], endpoint="import_events"),
        ]

    # -- identity and dialect ---------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        """The push control route is the fake's own, like /_fake/requests: no Mixpanel credentials;
        `/engage` carries the project token in each update instead."""
        return request.path in (PUSH_PATH, "/engage") or basic_matches(request, self.username, self.token)

    def provider_credentials(self) -> dict[str, str]:
        return {
            "service_account_username": self.username,
            "service_account_secret": self.token,
            "project_id": str(self.project_id),
            "project_token": self.project_token,
        }

    def member_id(self, index: int) -> str:
        return f"user-{index}"

    def member_index(self, member_id: str) -> int:
        digits = member_id.removeprefix("user-")
        if (
            not member_id.startswith("user-")
            or not digits.isdigit()
            or not self.population.exists(int(digits))
        ):
            raise KeyError(member_id)
        return int(digits)

    def source_ref(self, cohort: int) -> str:
        return str(COHORT_ID_BASE + cohort)

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        headers = {"Retry-After": str(retry_after)} if status == 429 and retry_after is not None else {}
        if status == 429:
            usage = self.usage()
            message = f"Query rate limit exceeded: {usage.limit} queries per {int(usage.window_s)} seconds"
        elif status == 401:
            message = AUTH_MESSAGE
        text = message or MESSAGES.get(status, "Internal server error" if status >= 500 else "Bad request")
        return json_response({"error": text, "status": "error"}, status, headers)

    def decorate(self, request: Request, response: Response) -> None:
        """The Query API sends no rate-limit counters."""

    # -- rendering ----------------------------------------------------------------------------
    def profile(self, index: int, output: tuple[str, ...] | None) -> dict[str, Any]:
        """Only the properties asked for are rendered: a cohort sync asks for a few of a million."""
        person = self.population.person(index)
        extra = person.extra
        if output is None:
            properties = {name: render(person) for name, render in PROPERTIES.items()} | extra
        else:
            properties = {
                name: extra[name] if name in extra else PROPERTIES[name](person)
                for name in output
                if name in extra or name in PROPERTIES
            }
        return {
            "$distinct_id": self.member_id(index),
            "$properties": {k: v for k, v in properties.items() if v is not None},  # unset ones are absent
        }

    def cohort(self, index: int) -> dict[str, Any]:
        created = self.population.person(0).created_at if self.population.total else datetime(2022, 1, 1)
        return {
            "count": self.population.count(index),
            "is_visible": 1,
            "description": f"{self.population.cohorts[index].name} (generated)",
            "created": created.strftime("%Y-%m-%d %H:%M:%S"),
            "project_id": self.project_id,
            "id": int(self.source_ref(index)),
            "name": self.population.cohorts[index].name,
        }

    # -- request parsing ----------------------------------------------------------------------
    def _params(self, request: Request) -> CombinedMultiDict[str, str]:
        if request.mimetype == "application/json":
            raise ApiError(400, "Request parameters must be form-encoded (application/x-www-form-urlencoded)")
        sources: list[MultiDict[str, str]] = [request.args]
        if request.method == "POST":
            sources.insert(0, request.form)
        params = CombinedMultiDict(sources)
        project = params.get("project_id")
        if project is None:
            raise ApiError(400, "project_id is required when authenticating with a service account")
        if as_int(project, "project_id") != self.project_id:
            raise ApiError(403, f"service account does not have access to project {project}")
        return params

    def _cohort_filter(self, raw: str | None) -> int | None:
        if raw is None:
            return None
        try:
            parsed = json.loads(raw)
            wanted = str(int(parsed["id"]))
        except (ValueError, TypeError, KeyError) as exc:
            raise ApiError(400, 'filter_by_cohort must be a JSON object like {"id": 12345}') from exc
        try:
            return self.cohort_index(wanted)
        except KeyError:
            raise ApiError(400, f"cohort {wanted} does not exist in project {self.project_id}") from None

    @staticmethod
    def _output(raw: str | None) -> tuple[str, ...] | None:
        if raw is None:
            return None
        try:
            names = json.loads(raw)
        except ValueError:
            names = None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ApiError(400, "output_properties must be a JSON list of property names")
        return tuple(names)

    def _session(self, params: CombinedMultiDict[str, str], query: tuple[Any, ...], page: int) -> str:
        """The session this page belongs to, opening one (and freezing its members) on page 0."""
        session_id = params.get("session_id")
        if session_id is None:
            if page != 0:
                raise ApiError(400, "page must be 0 without a session_id; send the session_id of page 0")
            cohort = query[0]
            indices = self.population.members(cohort) if cohort is not None else range(self.population.total)
            session_id = uuid.uuid4().hex
            self._sessions[session_id] = Session(query, array("q", indices))
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
            return session_id
        session = self._sessions.get(session_id)
        if session is None:
            raise ApiError(400, f"session_id {session_id} is unknown or has expired")
        if session.query != query:
            raise ApiError(400, "session_id was issued for a different query; repeat the same parameters")
        return session_id

    # -- routes ---------------------------------------------------------------------------------
    def list_cohorts(self, request: Request) -> Response:
        self._params(request)
        return json_response([self.cohort(c) for c in range(len(self.population.cohorts))])

    def engage(self, request: Request) -> Response:
        params = self._params(request)
        unsupported = [p for p in ("where", "distinct_id", "distinct_ids", "behaviors") if p in params]
        if unsupported:
            raise ApiError(400, f"{unsupported[0]} is not imitated by this fake")
        page_size = as_int(params.get("page_size", DEFAULT_PAGE_SIZE), "page_size")
        page = as_int(params.get("page", 0), "page")
        if not 1 <= page_size <= MAX_PAGE_SIZE or page < 0:
            raise ApiError(400, f"page_size must be 1 to {MAX_PAGE_SIZE} and page at least 0")
        output = self._output(params.get("output_properties"))
        query = (self._cohort_filter(params.get("filter_by_cohort")), page_size, output)
        session_id = self._session(params, query, page)
        members = self._sessions[session_id].members
        chosen = members[page * page_size : (page + 1) * page_size]
        results = [self.profile(i, output) for i in chosen if self.population.exists(i)]
        return json_response(
            {
                "page": page,
                "page_size": page_size,
                "session_id": session_id,
                "status": "ok",
                "total": len(members),
                "results": results,
            }
        )


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> MixpanelFake:
    """Serve a Mixpanel fake; options: ``username``, ``secret``, ``custom_fields``."""
    return MixpanelFake(port=port, members=members, seed=seed, **options).serve()
