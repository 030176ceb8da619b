"""Linear GraphQL imitation (apis.md §7): `POST /graphql` executed against Linear's own schema.

Queries run through graphql-core over the schema in `fake_schema`, so an unknown field or a
wrong variable type is refused by validation as Linear refuses it. Auth is the API key in
`Authorization` as it is (`lin_api_…`), or `Bearer` for an OAuth token. Errors are GraphQL
errors with Linear's `extensions` (`type`, `code`, `userError`, `userPresentableMessage`); a
request beyond the burst is HTTP 400 `RATELIMITED` with `X-RateLimit-Requests-Reset` (epoch
ms), and every answer carries the requests budget headers.

What it received is kept: `issues` (with their comments) for tests, `GET /_fake/issues` for
the demo, `GET /_fake/requests` as every fake has.
"""

from __future__ import annotations

import hmac
import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, graphql_sync
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.linear.fake_schema import SCHEMA, compare, issue_matches
from connectors.sdk.fakes.handlers import ApiError, json_response, read_json
from connectors.sdk.fakes.server import FakeServer, NoCohorts

TYPES = {
    400: ("invalid input", "INVALID_INPUT", "Bad request"),
    401: ("authentication error", "AUTHENTICATION_ERROR", "Authentication required, not authenticated"),
    403: ("forbidden", "FORBIDDEN", "Forbidden"),
    404: ("invalid input", "INVALID_INPUT", "Not found"),
    429: ("ratelimited", "RATELIMITED", "Rate limit exceeded"),
    500: ("internal error", "INTERNAL_SERVER_ERROR", "Internal server error"),
}
PRESENTABLE = {
    401: "You need to authenticate to access this operation.",
    429: "Too many requests. Please try again later.",
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def refused(presentable: str, message: str = "Argument Validation Error") -> GraphQLError:
    extensions = {"type": "invalid input", "code": "INVALID_INPUT", "userError": True}
    return GraphQLError(message, extensions=extensions | {"userPresentableMessage": presentable})


class LinearFake(NoCohorts, FakeServer):
    default_rate_limit = (5000, 3600.0)

    def __init__(self, **options: Any) -> None:
        options.setdefault("members", 0)
        super().__init__(**options)
        ids = (uuid.uuid5(uuid.NAMESPACE_URL, f"linear:{self.seed}:{n}") for n in itertools.count())
        self.token = "lin_api_" + next(ids).hex
        self.team = {"id": str(next(ids)), "key": "RES", "name": "Research"}
        self.project = {"id": str(next(ids)), "name": "Customer voice"}
        self.labels = {str(next(ids)): name for name in ("customer-research", "pricing")}
        self.issues: dict[str, dict[str, Any]] = {}
        """Every issue created, by id, as Linear stores it, with its `comments`."""
        self._sync = itertools.count(1000)
        self._echo: Callable[[str], None] | None = None

    def routes(self) -> list[Rule]:
        return [
            Rule("/graphql", methods=["POST"], endpoint="graphql"),
            Rule("/_fake/issues", methods=["GET"], endpoint="fake_issues"),
        ]

    # -- identity and dialect -------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        if request.path.startswith("/_fake/"):
            return True
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(given, self.token)

    def provider_credentials(self) -> dict[str, str]:
        return {"api_key": self.token, "team_id": self.team["id"]}

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        """Linear answers GraphQL errors; rate limiting and a bad key come as HTTP 400."""
        kind, name, default = TYPES.get(status, TYPES[500] if status >= 500 else TYPES[400])
        extensions: dict[str, Any] = {"type": kind, "code": code or name, "userError": status < 500}
        if status in PRESENTABLE:
            extensions["userPresentableMessage"] = PRESENTABLE[status]
        answer_status = 400 if status in (401, 429) else status
        return json_response(
            {"errors": [{"message": message or default, "extensions": extensions}]}, answer_status
        )

    def decorate(self, request: Request, response: Response) -> None:
        usage = self.usage()
        response.headers["X-RateLimit-Requests-Limit"] = str(usage.limit)
        response.headers["X-RateLimit-Requests-Remaining"] = str(usage.remaining)
        response.headers["X-RateLimit-Requests-Reset"] = str(int(usage.reset_at * 1000))

    def describe(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "credentials": self.credentials,
            "team": self.team,
            "project": self.project,
            "labels": self.labels,
        }

    def show_received(self, echo: Callable[[str], None]) -> None:
        """`journeyhub fake linear` prints each issue and comment as it arrives."""
        self._echo = echo

    # -- GraphQL --------------------------------------------------------------------------
    def graphql(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ApiError(400, "Must provide query string.", "GRAPHQL_PARSE_FAILED")
        root = {
            "viewer": self.viewer,
            "teams": self.teams,
            "issueLabels": self.issue_labels,
            "issue": self.issue,
            "issues": self.find_issues,
            "issueCreate": self.create_issue,
            "commentCreate": self.create_comment,
        }
        result = graphql_sync(
            SCHEMA, body["query"], root_value=root, variable_values=body.get("variables") or {}
        )
        answer = result.formatted
        invalid = result.data is None and result.errors and all(not e.path for e in result.errors)
        if invalid:
            for error in answer.get("errors", []):
                error.setdefault("extensions", {"type": "graphql error", "code": "GRAPHQL_VALIDATION_FAILED"})
        return json_response(answer, 400 if invalid else 200)

    def fake_issues(self, request: Request) -> Response:
        return json_response(list(self.issues.values()))

    # -- resolvers (graphql-core calls each with info and the field's arguments) -------------
    def viewer(self, info: Any) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "viewer")),
            "name": "Hub",
            "email": "hub@example.com",
        }

    def teams(self, info: Any, **_: Any) -> dict[str, Any]:
        return {"nodes": [self.team], "pageInfo": {"hasNextPage": False, "endCursor": None}}

    def issue_labels(self, info: Any, **_: Any) -> dict[str, Any]:
        nodes = [{"id": i, "name": n} for i, n in self.labels.items()]
        return {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}

    def _shown(self, issue: dict[str, Any]) -> dict[str, Any]:
        def comments(info: Any, filter: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
            found = [c for c in issue["comments"] if all(compare(c[k], v) for k, v in (filter or {}).items())]
            return {"nodes": found, "pageInfo": {"hasNextPage": False, "endCursor": None}}

        return issue | {"comments": comments}

    def issue(self, info: Any, id: str) -> dict[str, Any]:
        found = self.issues.get(id) or next((i for i in self.issues.values() if i["identifier"] == id), None)
        if found is None:
            raise refused("Could not find referenced Issue.", "Entity not found: Issue")
        return self._shown(found)

    def find_issues(
        self, info: Any, filter: dict[str, Any] | None = None, first: int | None = None, **_: Any
    ) -> dict[str, Any]:
        found = [self._shown(i) for i in self.issues.values() if issue_matches(i, filter)]
        return {
            "nodes": found[: first or 50],
            "pageInfo": {"hasNextPage": len(found) > (first or 50), "endCursor": None},
        }

    def create_issue(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        if input["teamId"] != self.team["id"]:
            raise refused("Could not find referenced Team.", "Entity not found: Team")
        if input.get("projectId") not in (None, self.project["id"]):
            raise refused("Could not find referenced Project.", "Entity not found: Project")
        unknown = [label for label in input.get("labelIds") or [] if label not in self.labels]
        if unknown:
            raise refused(
                f"Could not find referenced IssueLabel {unknown[0]}.", "Entity not found: IssueLabel"
            )
        if not str(input.get("title") or "").strip():
            raise refused("title should not be empty")
        if not 0 <= int(input.get("priority") or 0) <= 4:
            raise refused("priority must not be greater than 4")
        issue_id = str(input.get("id") or uuid.uuid4())
        if issue_id in self.issues:
            raise refused("An issue with this id already exists.", "Entity already exists")
        number = len(self.issues) + 1
        identifier = f"{self.team['key']}-{number}"
        self.issues[issue_id] = {
            "id": issue_id,
            "identifier": identifier,
            "number": number,
            "url": f"{self.base_url}/fake-org/issue/{identifier}",
            "title": input["title"],
            "description": input.get("description"),
            "priority": input.get("priority") or 0,
            "estimate": input.get("estimate"),
            "dueDate": input.get("dueDate"),
            "createdAt": _now(),
            "team": self.team,
            "project": self.project if input.get("projectId") else None,
            "labelIds": list(input.get("labelIds") or []),
            "comments": [],
        }
        if self._echo:
            self._echo(f"issue {identifier}: {input['title']}")
        return {"success": True, "lastSyncId": next(self._sync), "issue": self._shown(self.issues[issue_id])}

    def create_comment(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        issue = self.issues.get(str(input.get("issueId")))
        if issue is None:
            raise refused("Could not find referenced Issue.", "Entity not found: Issue")
        if not str(input.get("body") or "").strip():
            raise refused("body should not be empty")
        comment = {
            "id": str(input.get("id") or uuid.uuid4()),
            "body": input["body"],
            "url": f"{issue['url']}#comment-{len(issue['comments']) + 1}",
            "createdAt": _now(),
        }
        issue["comments"].append(comment)
        if self._echo:
            self._echo(f"comment on {issue['identifier']}: {comment['body'][:80]}")
        return {"success": True, "lastSyncId": next(self._sync), "comment": comment}


def start(*, port: int = 0, seed: int = 1, **options: Any) -> LinearFake:
    """Serve a Linear fake."""
    return LinearFake(port=port, seed=seed, **options).serve()
