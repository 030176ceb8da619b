"""Jira Cloud REST imitation (apis.md §6): what `jira.JIRA` asks when made, issues, comments, search.

Construction of the library's client calls `GET /rest/api/2/serverInfo` (`versionNumbers`,
`deploymentType: Cloud`, which switches it to `search/jql`), and `GET /rest/auth/1/session`
when asked to validate. Auth is HTTP Basic `email:api_token` (or a Bearer token). Errors are
Jira's `{"errorMessages": [...], "errors": {field: message}}`; a 429 carries Retry-After,
X-RateLimit-Reset (ISO 8601) and RateLimit-Reason. The old `GET /search` answers 410 as on
Cloud. v2 takes descriptions and comment bodies as text, v3 as Atlassian documents.

What it received is kept: `issues` (with their comments) for tests, `GET /_fake/issues` for
the demo, `GET /_fake/requests` as every fake has. New issues become searchable after
`index_delay_s`, as Jira Cloud's index lags its writes.
"""

from __future__ import annotations

import hmac
import itertools
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.jira.fake_checks import check_fields, text_value
from connectors.jira.fake_search import READ_ONLY, SYSTEM_FIELDS, custom_field, matcher
from connectors.sdk.fakes.handlers import ApiError, basic_matches, json_response, read_json
from connectors.sdk.fakes.server import FakeServer, NoCohorts

API = "/rest/api/<any('2', '3'):version>"
ISSUE_TYPES = ("Task", "Bug", "Story")
MESSAGES = {
    401: "You are not authenticated. Authentication required to perform this operation.",
    403: "You do not have permission to perform this operation.",
    404: "The requested resource could not be found.",
    405: "Method not allowed.",
    429: "Rate limit exceeded.",
    500: "Internal server error.",
    503: "Service unavailable.",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class JiraFake(NoCohorts, FakeServer):
    default_rate_limit = (100, 10.0)
    standard_custom_fields = frozenset({"customfield_10010"})

    def __init__(
        self,
        *,
        email: str = "hub@example.com",
        project: str = "JH",
        index_delay_s: float = 0.0,
        **options: Any,
    ) -> None:
        options.setdefault("members", 0)
        super().__init__(**options)
        self.email, self.project, self.index_delay_s = email, project, index_delay_s
        self.token = "ATATT3x" + uuid.uuid5(uuid.NAMESPACE_URL, f"jira:{self.seed}").hex
        self.issues: dict[str, dict[str, Any]] = {}
        """Every issue created, by key, as Jira stores it, with its `comments`."""
        self._numbers = itertools.count(1)
        self._ids = itertools.count(10100)
        self._indexed_at: dict[str, float] = {}
        self._echo: Callable[[str], None] | None = None

    def routes(self) -> list[Rule]:
        return [
            Rule(f"{API}/serverInfo", methods=["GET"], endpoint="server_info"),
            Rule("/rest/auth/1/session", methods=["GET"], endpoint="session"),
            Rule(f"{API}/myself", methods=["GET"], endpoint="myself"),
            Rule(f"{API}/field", methods=["GET"], endpoint="fields"),
            Rule(f"{API}/project/<key>", methods=["GET"], endpoint="get_project"),
            Rule(f"{API}/issue", methods=["POST"], endpoint="create_issue"),
            Rule(f"{API}/issue/<key>", methods=["GET"], endpoint="get_issue"),
            Rule(f"{API}/issue/<key>/comment", methods=["POST"], endpoint="add_comment"),
            Rule(f"{API}/issue/<key>/comment", methods=["GET"], endpoint="list_comments"),
            Rule(f"{API}/search/jql", methods=["GET", "POST"], endpoint="search"),
            Rule(f"{API}/search", methods=["GET", "POST"], endpoint="old_search"),
            Rule("/_fake/issues", methods=["GET"], endpoint="fake_issues"),
        ]

    # -- identity and dialect -------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        if request.path.startswith("/_fake/"):
            return True
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return basic_matches(request, self.email, self.token) or hmac.compare_digest(bearer, self.token)

    def provider_credentials(self) -> dict[str, str]:
        return {"email": self.email, "api_token": self.token, "project": self.project}

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        text = message or MESSAGES.get(status, "Request failed.")
        body = (
            {"errorMessages": [], "errors": {code: text}} if code else {"errorMessages": [text], "errors": {}}
        )
        headers: dict[str, str] = {}
        if status == 429:
            wait = retry_after or 1
            reset = datetime.now(UTC) + timedelta(seconds=wait)
            headers = {
                "Retry-After": str(wait),
                "X-RateLimit-Reset": reset.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "RateLimit-Reason": "jira-burst-based",
            }
        elif retry_after is not None and status == 503:
            headers = {"Retry-After": str(retry_after)}
        return json_response(body, status, headers)

    def decorate(self, request: Request, response: Response) -> None:
        response.headers.setdefault("X-ARequestId", uuid.uuid4().hex)
        usage = self.usage()
        response.headers["X-RateLimit-Limit"] = str(usage.limit)
        response.headers["X-RateLimit-Remaining"] = str(usage.remaining)

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "credentials": self.credentials, "project": self._project()}

    def show_received(self, echo: Callable[[str], None]) -> None:
        """`journeyhub fake jira` prints each issue and comment as it arrives."""
        self._echo = echo

    # -- the site and its project ------------------------------------------------------------
    def server_info(self, request: Request, version: str) -> Response:
        return json_response(
            {
                "baseUrl": self.base_url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100290,
                "buildDate": "2026-01-01T00:00:00.000+0000",
                "serverTime": _now(),
                "scmInfo": "fake",
                "serverTitle": "Jira (fake)",
            }
        )

    def session(self, request: Request) -> Response:
        return json_response({"self": f"{self.base_url}/rest/api/latest/myself", "name": self.email})

    def myself(self, request: Request, version: str) -> Response:
        return json_response(
            {
                "accountId": "5b10a2844c20165700ede21g",
                "emailAddress": self.email,
                "displayName": "Hub",
                "active": True,
            }
        )

    def fields(self, request: Request, version: str) -> Response:
        custom = [custom_field(f) for f in sorted(self.custom_fields)]
        return json_response([*SYSTEM_FIELDS, *READ_ONLY, *custom])

    def _project(self) -> dict[str, Any]:
        types = [
            {
                "id": str(10001 + i),
                "name": name,
                "subtask": False,
                "self": f"{self.base_url}/rest/api/2/issuetype/{10001 + i}",
            }
            for i, name in enumerate(ISSUE_TYPES)
        ]
        return {
            "id": "10000",
            "key": self.project,
            "name": "Customer research",
            "self": f"{self.base_url}/rest/api/2/project/10000",
            "issueTypes": types,
        }

    def get_project(self, request: Request, version: str, key: str) -> Response:
        if key not in (self.project, "10000"):
            raise ApiError(404, f"No project could be found with key '{key}'.")
        return json_response(self._project())

    # -- issues and comments ------------------------------------------------------------------
    def _issue(self, key: str) -> dict[str, Any]:
        if key not in self.issues:
            raise ApiError(404, "Issue does not exist or you do not have permission to see it.")
        return self.issues[key]

    def create_issue(self, request: Request, version: str) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            raise ApiError(400, "Can not deserialize instance of fields out of the request body")
        fields = dict(body["fields"])
        fields.update(check_fields(fields, version, self._project(), self.custom_fields))
        key, issue_id = f"{self.project}-{next(self._numbers)}", str(next(self._ids))
        fields |= {"labels": list(fields.get("labels") or []), "created": _now(), "status": {"name": "To Do"}}
        self.issues[key] = {
            "id": issue_id,
            "key": key,
            "self": f"{self.base_url}/rest/api/2/issue/{issue_id}",
            "fields": fields,
            "comments": [],
        }
        self._indexed_at[key] = time.monotonic() + self.index_delay_s
        if self._echo:
            self._echo(f"issue {key}: {fields['summary']}")
        return json_response({"id": issue_id, "key": key, "self": self.issues[key]["self"]}, 201)

    def _public(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in issue.items() if k != "comments"}

    def get_issue(self, request: Request, version: str, key: str) -> Response:
        return json_response(self._public(self._issue(key)))

    def add_comment(self, request: Request, version: str, key: str) -> Response:
        issue, body = self._issue(key), read_json(request)
        text = body.get("body") if isinstance(body, dict) else None
        if not text:
            raise ApiError(400, "Comment body can not be empty!", "comment")
        text_value(version, text, "comment")
        comment = {
            "id": str(next(self._ids)),
            "self": f"{issue['self']}/comment",
            "body": text,
            "author": {"emailAddress": self.email, "displayName": "Hub"},
            "created": _now(),
            "updated": _now(),
        }
        issue["comments"].append(comment)
        if self._echo:
            self._echo(f"comment on {key}: {str(text)[:80]}")
        return json_response(comment, 201)

    def list_comments(self, request: Request, version: str, key: str) -> Response:
        listed = list(self._issue(key)["comments"])
        if request.args.get("orderBy", "").lstrip("+") == "-created":
            listed.reverse()
        most = int(request.args.get("maxResults") or 5000)
        return json_response(
            {"startAt": 0, "maxResults": most, "total": len(listed), "comments": listed[:most]}
        )

    # -- search -------------------------------------------------------------------------------
    def search(self, request: Request, version: str) -> Response:
        params: dict[str, Any] = {}
        if request.method == "POST":
            params = read_json(request) or {}
        jql = str(params.get("jql") or request.args.get("jql") or "")
        wanted = params.get("fields") or request.args.getlist("fields") or ["*navigable"]
        names = {n for part in wanted for n in str(part).split(",") if n}
        test, descending = matcher(jql)
        now = time.monotonic()
        found = [i for k, i in self.issues.items() if self._indexed_at[k] <= now and test(i)]
        if descending:
            found.reverse()
        most = int(params.get("maxResults") or request.args.get("maxResults") or 50)
        shown = [
            self._public(i)
            | {"fields": {n: v for n, v in i["fields"].items() if names & {n, "*all", "*navigable"}}}
            for i in found[:most]
        ]
        return json_response({"issues": shown, "isLast": len(found) <= most})

    def old_search(self, request: Request, version: str) -> Response:
        raise ApiError(
            410, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."
        )

    def fake_issues(self, request: Request) -> Response:
        return json_response(list(self.issues.values()))


def start(*, port: int = 0, seed: int = 1, **options: Any) -> JiraFake:
    """Serve a Jira fake; options: `email`, `project`, `index_delay_s`, `custom_fields`."""
    return JiraFake(port=port, seed=seed, **options).serve()
