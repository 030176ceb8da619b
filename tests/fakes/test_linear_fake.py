"""The Linear fake answers as Linear's GraphQL API does: schema validation, auth, errors, budget headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.linear.fake import LinearFake
from connectors.registry import with_fake


@pytest.fixture
def fake() -> Iterator[LinearFake]:
    with LinearFake().serve() as server:
        yield server


def gql(
    fake: LinearFake, query: str, variables: dict[str, Any] | None = None, key: str | None = None
) -> requests.Response:
    headers = {"Authorization": key if key is not None else fake.token}
    return requests.post(
        fake.base_url + "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=5,
    )


CREATE = (
    "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier } } }"
)


def test_linear_has_a_fake_for_journeyhub_fake() -> None:
    assert "linear" in with_fake()


def test_the_api_key_alone_or_a_bearer_token_else_an_authentication_error(fake: LinearFake) -> None:
    assert gql(fake, "{ viewer { name } }").json() == {"data": {"viewer": {"name": "Hub"}}}
    assert gql(fake, "{ viewer { name } }", key=f"Bearer {fake.token}").status_code == 200
    refused = gql(fake, "{ viewer { name } }", key="lin_api_nope")
    assert refused.status_code == 400
    (error,) = refused.json()["errors"]
    assert (
        error["extensions"]["code"] == "AUTHENTICATION_ERROR"
        and error["extensions"]["type"] == "authentication error"
    )


def test_a_field_linear_does_not_have_fails_validation(fake: LinearFake) -> None:
    answer = gql(fake, "{ viewer { shoeSize } }")
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert "shoeSize" in error["message"] and error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    missing = gql(fake, CREATE, {"input": {"title": "no team"}})
    assert missing.status_code == 400 and "teamId" in missing.json()["errors"][0]["message"]


def test_issue_create_then_comment_then_search_by_description(fake: LinearFake) -> None:
    made = gql(
        fake, CREATE, {"input": {"teamId": fake.team["id"], "title": "Pricing", "description": "x ref m-1"}}
    )
    issue = made.json()["data"]["issueCreate"]
    assert issue["success"] and issue["issue"]["identifier"] == "RES-1"
    comment = gql(
        fake,
        "mutation($input: CommentCreateInput!) { commentCreate(input: $input) { success comment { body } } }",
        {"input": {"issueId": issue["issue"]["id"], "body": "changed"}},
    )
    assert comment.json()["data"]["commentCreate"] == {"success": True, "comment": {"body": "changed"}}
    search = "query($m: String!) { issues(filter: {description: {contains: $m}}) { nodes { identifier } } }"
    assert gql(fake, search, {"m": "m-1"}).json()["data"]["issues"]["nodes"] == [{"identifier": "RES-1"}]
    assert gql(fake, search, {"m": "m-2"}).json()["data"]["issues"]["nodes"] == []
    readback = requests.get(fake.base_url + "/_fake/issues", timeout=5).json()
    assert [(i["identifier"], [c["body"] for c in i["comments"]]) for i in readback] == [
        ("RES-1", ["changed"])
    ]


def test_a_refused_input_says_so_in_user_presentable_words(fake: LinearFake) -> None:
    answer = gql(fake, CREATE, {"input": {"teamId": "nope", "title": "x"}})
    assert answer.status_code == 200 and answer.json()["data"] is None
    (error,) = answer.json()["errors"]
    assert error["extensions"] == {
        "type": "invalid input",
        "code": "INVALID_INPUT",
        "userError": True,
        "userPresentableMessage": "Could not find referenced Team.",
    }


def test_past_the_burst_a_400_ratelimited_with_the_reset_in_epoch_ms(fake: LinearFake) -> None:
    fake.rate_limit(2, 60.0)
    first = gql(fake, "{ viewer { name } }")
    assert first.headers["X-RateLimit-Requests-Limit"] == "2"
    assert first.headers["X-RateLimit-Requests-Remaining"] == "1"
    gql(fake, "{ viewer { name } }")
    limited = gql(fake, "{ viewer { name } }")
    assert limited.status_code == 400
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATELIMITED"
    reset_ms = int(limited.headers["X-RateLimit-Requests-Reset"])
    assert reset_ms > 1_000_000_000_000


def test_describe_gives_the_team_project_and_labels(fake: LinearFake) -> None:
    described = fake.describe()
    assert described["credentials"] == {
        "base_url": fake.base_url,
        "api_key": fake.token,
        "team_id": fake.team["id"],
    }
    assert described["project"] == fake.project and len(described["labels"]) == 2
