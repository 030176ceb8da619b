"""Jira as a result-action destination, through the `jira` library against the Jira fake.

The library is the one a user's site would see: its constructor's serverInfo call, the issue
create, the JQL search and the comment all reach the fake over HTTP through the SSRF guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.jira.fake import JiraFake
from connectors.jira.issues import marker
from connectors.registry import get_connector
from connectors.sdk import Capability, ConfigError, RateLimited, TransientError
from connectors.sdk.actions import Action, Destination, Done, Quote, Rejected
from tests.conftest import close_app, make_app
from tests.fakes.support import calls

JIRA = get_connector("jira")


@contextmanager
def _app(tmp_path: Path, **extra: Any) -> Iterator[Flask]:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", **extra)
    with app.app_context():
        yield app
    close_app(app)


@pytest.fixture
def fake() -> Iterator[JiraFake]:
    server = JIRA.fake()
    assert isinstance(server, JiraFake)
    yield server
    server.stop()


@pytest.fixture
def config(fake: JiraFake) -> dict[str, Any]:
    return JIRA.prepare_config(fake.credentials | {"labels": "research, customer voice"})


@pytest.fixture
def jira() -> Destination:
    assert JIRA.actions is not None
    return JIRA.actions


def finding(key: str = "action:7:create_issue", **changes: Any) -> Action:
    values: dict[str, Any] = {
        "key": key,
        "operation": "create_issue",
        "fields": {},
        "title": "Finding: pricing too high, 38% of 42 interviews",
        "text": "Theme: pricing too high\nShare: 38% (16 of 42 interviews)",
        "link": "https://hub.example.com/findings/7",
        "quotes": (
            Quote("It costs more than the team plan is worth", "https://hub.example.com/results/11", 11),
            Quote("We would pay less elsewhere", "https://hub.example.com/results/12", 12),
        ),
    }
    return Action(**(values | changes))


def test_jira_declares_actions_with_both_operations() -> None:
    assert Capability.ACTIONS in JIRA.spec.capabilities
    assert JIRA.actions is not None and JIRA.actions.operations == {"create_issue", "comment"}
    assert JIRA.actions.batch_size == 1 and JIRA.actions.pace is None


def test_a_finding_becomes_one_issue_with_theme_share_quotes_links_and_labels(
    outbound_app: Flask, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    action = finding(fields={"priority": "High", "customfield_10010": "pricing"})
    answers = jira.perform(config, [action])
    assert answers == {
        action.key: Done(ref="JH-1", detail={"id": "10100", "url": f"{fake.base_url}/browse/JH-1"})
    }
    assert calls(fake) == [("GET", "/rest/api/2/serverInfo"), ("POST", "/rest/api/2/issue")]
    fields = fake.issues["JH-1"]["fields"]
    assert fields["project"]["key"] == "JH" and fields["issuetype"]["name"] == "Task"
    assert fields["summary"] == action.title
    assert fields["labels"] == ["research", "customer-voice", marker(action.key)]
    assert fields["priority"] == {"name": "High"} and fields["customfield_10010"] == "pricing"
    text = fields["description"]
    assert "Theme: pricing too high" in text and "38% (16 of 42 interviews)" in text
    assert (
        '"It costs more than the team plan is worth" [transcript|https://hub.example.com/results/11]' in text
    )
    assert "[transcript|https://hub.example.com/results/12]" in text
    assert "[Open the finding in JourneyHub|https://hub.example.com/findings/7]" in text


def test_a_changed_finding_comments_on_the_same_issue(
    outbound_app: Flask, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    created = jira.perform(config, [finding()])["action:7:create_issue"]
    assert isinstance(created, Done) and created.ref == "JH-1"
    change = finding(
        "action:7:comment:2", operation="comment", thread=created.ref, title="Finding changed: now 45%"
    )
    assert jira.perform(config, [change]) == {change.key: Done(ref="JH-1", detail={"comment_id": "10101"})}
    assert list(fake.issues) == ["JH-1"]
    (comment,) = fake.issues["JH-1"]["comments"]
    assert comment["body"].startswith("Finding changed: now 45%")
    assert "[transcript|https://hub.example.com/results/11]" in comment["body"]
    assert comment["body"].endswith(f"ref {marker(change.key)}")


def test_lookup_finds_what_an_earlier_attempt_created_by_its_marker(
    outbound_app: Flask, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    action = finding()
    assert jira.lookup(config, action) is None
    jira.perform(config, [action])
    found = jira.lookup(config, action)
    assert found is not None and found.ref == "JH-1" and found.detail["found_by"] == "label"
    assert jira.lookup(config, finding("action:8:create_issue")) is None
    searches = [r for r in calls(fake) if r[1].endswith("/search/jql")]
    assert searches == [("GET", "/rest/api/2/search/jql")] * 3
    change = finding("action:7:comment:2", operation="comment", thread="JH-1")
    assert jira.lookup(config, change) is None
    jira.perform(config, [change])
    again = jira.lookup(config, change)
    assert again is not None and again.ref == "JH-1" and again.detail["found_by"] == "comment marker"


def test_a_lookup_within_the_index_delay_misses(outbound_app: Flask, jira: Destination) -> None:
    with JiraFake(index_delay_s=60).serve() as fake:
        config = JIRA.prepare_config(fake.credentials)
        action = finding()
        jira.perform(config, [action])
        assert jira.lookup(config, action) is None


def test_fields_lists_what_the_site_lets_an_issue_be_written_with(
    outbound_app: Flask, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    listed = jira.fields(config, "create_issue")
    assert listed is not None
    assert {"summary", "description", "labels", "priority", "customfield_10010"} <= set(listed)
    assert not {"created", "status", "project", "issuetype"} & set(listed)
    assert ("GET", "/rest/api/2/field") in calls(fake)
    assert jira.fields(config, "comment") is None


def test_a_field_jira_will_not_take_refuses_that_action_in_plain_words(
    outbound_app: Flask, config: dict[str, Any], jira: Destination
) -> None:
    action = finding(fields={"customfield_99999": "x"})
    (answer,) = jira.perform(config, [action]).values()
    assert answer == Rejected(
        "Jira refused it: customfield_99999: Field 'customfield_99999' cannot be set. "
        "It is not on the appropriate screen, or unknown."
    )


def test_a_project_that_does_not_exist_is_the_connections_problem(
    outbound_app: Flask, config: dict[str, Any], jira: Destination
) -> None:
    with pytest.raises(ConfigError) as raised:
        jira.perform(config | {"project": "NOPE"}, [finding()])
    assert raised.value.status == 400
    assert raised.value.provider_message == "project: valid project is required"
    with pytest.raises(ConfigError, match="issuetype: Specify a valid issue type"):
        jira.perform(config | {"issue_type": "Epic saga"}, [finding()])


def test_rejected_credentials_are_a_settings_problem_without_the_token(
    outbound_app: Flask, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    with pytest.raises(ConfigError) as raised:
        jira.perform(config | {"api_token": "wrong-token-123"}, [finding()])
    assert raised.value.status == 401 and "wrong-token-123" not in str(raised.value)
    assert fake.issues == {}
    assert JIRA.test_connection(config | {"api_token": "wrong-token-123"}).ok is False
    checked = JIRA.test_connection(config)
    assert checked.ok and checked.message == "connected to Jira; project JH (Customer research) is visible"


def test_a_burst_past_the_limit_waits_what_jira_asks(
    outbound_app: Flask, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    fake.rate_limit(3, 30.0)
    jira.perform(config, [finding("a")])  # serverInfo and the create
    with pytest.raises(RateLimited) as raised:
        jira.perform(config, [finding("b")])  # serverInfo passes, the create is the fourth
    assert raised.value.status == 429 and raised.value.retry_after is not None
    assert 0 < raised.value.retry_after <= 30
    assert len(fake.issues) == 1


def test_a_server_error_is_transient(
    outbound_app: Flask, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    fake.inject_fault(503, after=1)
    with pytest.raises(TransientError) as raised:
        jira.perform(config, [finding()])
    assert raised.value.status == 503 and not isinstance(raised.value, RateLimited)
    assert fake.issues == {}


def test_a_comment_on_an_issue_deleted_in_jira_fails_alone(
    outbound_app: Flask, config: dict[str, Any], jira: Destination
) -> None:
    change = finding("c", operation="comment", thread="JH-404")
    assert jira.perform(config, [change]) == {
        "c": Rejected("Jira issue JH-404 no longer exists or cannot be seen with these credentials")
    }
    assert jira.lookup(config, change) is None


def test_the_guard_refuses_the_site_before_the_library_sends_anything(
    tmp_path: Path, fake: JiraFake, config: dict[str, Any], jira: Destination
) -> None:
    with _app(tmp_path, JOURNEYHUB_ALLOWED_HOSTS=""), pytest.raises(ConfigError, match="loopback"):
        jira.perform(config, [finding()])
    assert fake.request_count == 0
