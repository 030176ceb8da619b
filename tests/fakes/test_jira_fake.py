"""The Jira fake answers as Jira Cloud does where a client could tell: auth, errors, limits, search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.jira.fake import JiraFake
from connectors.registry import with_fake

ISSUE = {
    "fields": {
        "project": {"key": "JH"},
        "issuetype": {"name": "Bug"},
        "summary": "Pricing too high",
        "description": "38% of 42",
        "labels": ["journeyhub-abc"],
    }
}


@pytest.fixture
def fake() -> Iterator[JiraFake]:
    with JiraFake().serve() as server:
        yield server


def call(fake: JiraFake, method: str, path: str, **options: Any) -> requests.Response:
    options.setdefault("auth", (fake.email, fake.token))
    return requests.request(method, fake.base_url + path, timeout=5, **options)


def test_jira_has_a_fake_for_journeyhub_fake() -> None:
    assert "jira" in with_fake()


def test_server_info_says_cloud_with_version_numbers(fake: JiraFake) -> None:
    info = call(fake, "GET", "/rest/api/2/serverInfo").json()
    assert info["deploymentType"] == "Cloud" and info["versionNumbers"] == [1001, 0, 0]
    assert info["baseUrl"] == fake.base_url


def test_basic_auth_or_a_bearer_token_else_401_in_jiras_shape(fake: JiraFake) -> None:
    assert call(fake, "GET", "/rest/api/3/myself").status_code == 200
    bearer = call(
        fake, "GET", "/rest/api/3/myself", auth=None, headers={"Authorization": f"Bearer {fake.token}"}
    )
    assert bearer.status_code == 200
    refused = call(fake, "GET", "/rest/api/2/myself", auth=(fake.email, "nope"))
    assert refused.status_code == 401
    assert refused.json()["errorMessages"][0].startswith("You are not authenticated")


def test_create_then_read_then_comment(fake: JiraFake) -> None:
    made = call(fake, "POST", "/rest/api/2/issue", json=ISSUE)
    assert made.status_code == 201 and made.json()["key"] == "JH-1"
    issue = call(fake, "GET", "/rest/api/2/issue/JH-1").json()
    assert issue["fields"]["issuetype"]["name"] == "Bug" and issue["fields"]["status"]["name"] == "To Do"
    comment = call(fake, "POST", "/rest/api/2/issue/JH-1/comment", json={"body": "changed"})
    assert comment.status_code == 201
    listed = call(fake, "GET", "/rest/api/2/issue/JH-1/comment").json()
    assert [c["body"] for c in listed["comments"]] == ["changed"] and listed["total"] == 1
    missing = call(fake, "POST", "/rest/api/2/issue/JH-9/comment", json={"body": "x"})
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]
    readback = requests.get(fake.base_url + "/_fake/issues", timeout=5).json()
    assert [(i["key"], len(i["comments"])) for i in readback] == [("JH-1", 1)]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"project": {"key": "ZZ"}}, "project", "valid project is required"),
        ({"issuetype": {"name": "Saga"}}, "issuetype", "Specify a valid issue type"),
        ({"summary": ""}, "summary", "You must specify a summary of the issue."),
        ({"summary": "x" * 256}, "summary", "Summary must be less than 255 characters."),
        ({"labels": ["two words"]}, "labels", "The label 'two words' contains spaces which is invalid."),
        ({"priority": "High"}, "priority", "Specify the Priority (name) in the string format"),
        (
            {"customfield_1": "x"},
            "customfield_1",
            "Field 'customfield_1' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
    ],
)
def test_a_refused_create_names_its_field(
    fake: JiraFake, change: dict[str, Any], field: str, message: str
) -> None:
    refused = call(fake, "POST", "/rest/api/2/issue", json={"fields": ISSUE["fields"] | change})
    assert refused.status_code == 400
    assert refused.json() == {"errorMessages": [], "errors": {field: message}}
    assert fake.issues == {}


def test_v3_takes_only_atlassian_documents(fake: JiraFake) -> None:
    refused = call(fake, "POST", "/rest/api/3/issue", json=ISSUE)
    assert refused.status_code == 400 and "Atlassian Document" in refused.json()["errors"]["description"]
    doc = {"type": "doc", "version": 1, "content": []}
    made = call(fake, "POST", "/rest/api/3/issue", json={"fields": ISSUE["fields"] | {"description": doc}})
    assert made.status_code == 201


def test_search_jql_by_label_and_project_and_the_old_search_is_gone(fake: JiraFake) -> None:
    call(fake, "POST", "/rest/api/2/issue", json=ISSUE)
    other = {"fields": ISSUE["fields"] | {"labels": ["other"]}}
    call(fake, "POST", "/rest/api/2/issue", json=other)
    found = call(
        fake,
        "GET",
        "/rest/api/2/search/jql",
        params={"jql": 'labels = "journeyhub-abc" AND project = JH', "fields": "labels"},
    ).json()
    assert found == {
        "issues": [
            {
                "id": "10100",
                "key": "JH-1",
                "self": f"{fake.base_url}/rest/api/2/issue/10100",
                "fields": {"labels": ["journeyhub-abc"]},
            }
        ],
        "isLast": True,
    }
    both = call(
        fake,
        "POST",
        "/rest/api/3/search/jql",
        json={"jql": "labels in (other, journeyhub-abc) ORDER BY created DESC"},
    )
    assert [i["key"] for i in both.json()["issues"]] == ["JH-2", "JH-1"]
    unknown = call(fake, "GET", "/rest/api/2/search/jql", params={"jql": "reporter = me"})
    assert unknown.status_code == 400 and "reporter" in unknown.json()["errorMessages"][0]
    assert call(fake, "GET", "/rest/api/2/search", params={"jql": "project = JH"}).status_code == 410


def test_429_after_the_burst_with_retry_after_and_an_iso_reset(fake: JiraFake) -> None:
    fake.rate_limit(2, 20.0)
    assert [call(fake, "GET", "/rest/api/2/myself").status_code for _ in range(2)] == [200, 200]
    limited = call(fake, "GET", "/rest/api/2/myself")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 20
    assert (
        limited.headers["X-RateLimit-Reset"].endswith("Z")
        and limited.headers["RateLimit-Reason"] == "jira-burst-based"
    )
    assert limited.json()["errorMessages"] == ["Rate limit exceeded."]


def test_describe_gives_the_settings_a_connection_needs(fake: JiraFake) -> None:
    described = fake.describe()
    assert described["credentials"] == {
        "base_url": fake.base_url,
        "email": "hub@example.com",
        "api_token": fake.token,
        "project": "JH",
    }
