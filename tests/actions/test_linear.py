"""Linear as a result-action destination: GraphQL mutations and queries against the Linear fake.

The fake executes each document against Linear's schema (graphql-core), so a field or
argument the connector got wrong would fail validation here as it would at Linear.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from connectors.linear.fake import LinearFake
from connectors.linear.issues import client_id, marker
from connectors.registry import get_connector
from connectors.sdk import Capability, ConfigError, RateLimited, TransientError
from connectors.sdk.actions import Action, Destination, Done, Pace, Quote, Rejected
from tests.conftest import close_app, make_app
from tests.fakes.support import received

LINEAR = get_connector("linear")


@contextmanager
def _app(tmp_path: Path, **extra: Any) -> Iterator[Flask]:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", **extra)
    with app.app_context():
        yield app
    close_app(app)


@pytest.fixture
def fake() -> Iterator[LinearFake]:
    server = LINEAR.fake()
    assert isinstance(server, LinearFake)
    yield server
    server.stop()


@pytest.fixture
def config(fake: LinearFake) -> dict[str, Any]:
    settings = {"project_id": fake.project["id"], "label_ids": ",".join(fake.labels)}
    return LINEAR.prepare_config(fake.credentials | settings)


@pytest.fixture
def linear() -> Destination:
    assert LINEAR.actions is not None
    return LINEAR.actions


def finding(key: str = "action:7:create_issue", **changes: Any) -> Action:
    values: dict[str, Any] = {
        "key": key,
        "operation": "create_issue",
        "fields": {},
        "title": "Finding: pricing too high, 38% of 42 interviews",
        "text": "Theme: pricing too high\nShare: 38% (16 of 42 interviews)",
        "link": "https://hub.example.com/findings/7",
        "quotes": (Quote("It costs more than it is worth", "https://hub.example.com/results/11", 11),),
    }
    return Action(**(values | changes))


def test_linear_declares_actions_paced_by_the_hour() -> None:
    assert Capability.ACTIONS in LINEAR.spec.capabilities
    assert LINEAR.actions is not None and LINEAR.actions.operations == {"create_issue", "comment"}
    assert LINEAR.actions.batch_size == 1
    assert LINEAR.actions.pace == Pace(per_seconds=3600.0, count=1200)


def test_a_finding_becomes_an_issue_in_the_team_project_and_labels(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    action = finding(fields={"priority": "2"})
    (answer,) = linear.perform(config, [action]).values()
    assert isinstance(answer, Done) and answer.ref == client_id(action.key)
    assert answer.detail == {"identifier": "RES-1", "url": f"{fake.base_url}/fake-org/issue/RES-1"}
    (sent,) = [r for r in received(fake) if r["path"] == "/graphql"]
    assert "issueCreate(input: $input)" in sent["json"]["query"]
    issue = fake.issues[answer.ref]
    assert issue["team"]["id"] == config["team_id"] and issue["project"] == fake.project
    assert issue["labelIds"] == list(fake.labels) and issue["priority"] == 2
    assert issue["title"] == action.title
    text = issue["description"]
    assert text.startswith("Theme: pricing too high\nShare: 38% (16 of 42 interviews)")
    assert "> It costs more than it is worth\n\n[Transcript](https://hub.example.com/results/11)" in text
    assert "[Open the finding in JourneyHub](https://hub.example.com/findings/7)" in text
    assert text.endswith(f"ref {marker(action.key)}")


def test_a_wrong_api_key_is_a_settings_problem_without_the_key(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    with pytest.raises(ConfigError) as raised:
        linear.perform(config | {"api_key": "lin_api_wrong"}, [finding()])
    assert raised.value.status == 400 and "Authentication required" in str(raised.value)
    assert "lin_api_wrong" not in str(raised.value) and fake.issues == {}


def test_a_changed_finding_comments_on_the_same_issue(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    created = linear.perform(config, [finding()])["action:7:create_issue"]
    assert isinstance(created, Done)
    change = finding("action:7:comment:2", operation="comment", thread=created.ref, title="Now 45%")
    (answer,) = linear.perform(config, [change]).values()
    assert isinstance(answer, Done) and answer.ref == created.ref
    assert len(fake.issues) == 1
    (comment,) = fake.issues[str(created.ref)]["comments"]
    assert comment["body"].startswith("**Now 45%**") and comment["body"].endswith(f"ref {marker(change.key)}")


def test_lookup_finds_the_issue_and_the_comment_by_their_markers(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    action = finding()
    assert linear.lookup(config, action) is None
    linear.perform(config, [action])
    found = linear.lookup(config, action)
    assert found is not None and found.ref == client_id(action.key)
    assert found.detail["found_by"] == "description marker"
    assert linear.lookup(config, finding("other")) is None
    change = finding("c", operation="comment", thread=found.ref)
    assert linear.lookup(config, change) is None
    linear.perform(config, [change])
    again = linear.lookup(config, change)
    assert again is not None and again.detail["found_by"] == "comment marker"


def test_a_second_create_of_the_same_action_reads_the_first_back(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    first = linear.perform(config, [finding()])["action:7:create_issue"]
    second = linear.perform(config, [finding()])["action:7:create_issue"]
    assert isinstance(second, Done) and second.ref == first.ref and second.detail["found_by"] == "client id"
    assert len(fake.issues) == 1


def test_fields_lists_issue_create_input_by_introspection(
    outbound_app: Flask, config: dict[str, Any], linear: Destination
) -> None:
    listed = linear.fields(config, "create_issue")
    assert listed is not None
    assert {"title", "description", "priority", "labelIds", "assigneeId", "dueDate"} <= set(listed)
    assert not {"teamId", "id"} & set(listed)
    assert linear.fields(config, "comment") is None


def test_graphql_errors_are_surfaced_in_plain_words(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    refused = linear.perform(config, [finding(fields={"priority": "9"})])
    assert refused == {
        "action:7:create_issue": Rejected("Linear refused it: priority must not be greater than 4")
    }
    with pytest.raises(ConfigError, match="Could not find referenced Team"):
        linear.perform(config | {"team_id": "no-such-team"}, [finding("b")])
    with pytest.raises(ConfigError, match="Could not find referenced IssueLabel"):
        linear.perform(config | {"label_ids": "no-such-label"}, [finding("c")])
    gone = finding("d", operation="comment", thread="no-such-issue")
    assert linear.perform(config, [gone]) == {
        "d": Rejected("Linear refused the comment on issue no-such-issue: Could not find referenced Issue.")
    }
    assert fake.issues == {}


def test_ratelimited_waits_for_the_reset_linear_names(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    fake.rate_limit(1, 120.0)
    linear.perform(config, [finding("a")])
    with pytest.raises(RateLimited) as raised:
        linear.perform(config, [finding("b")])
    assert raised.value.status == 400 and raised.value.retry_after is not None
    assert 100 < raised.value.retry_after <= 120
    assert len(fake.issues) == 1


def test_linears_own_failure_is_transient(
    outbound_app: Flask, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    fake.inject_fault(500)
    with pytest.raises(TransientError) as raised:
        linear.perform(config, [finding()])
    assert raised.value.status == 500 and fake.issues == {}


def test_connection_check_names_the_team(outbound_app: Flask, config: dict[str, Any]) -> None:
    assert (
        LINEAR.test_connection(config).message == "connected to Linear as Hub; team RES (Research) is visible"
    )
    other = LINEAR.test_connection(config | {"team_id": "elsewhere"})
    assert not other.ok and "team elsewhere is not visible" in other.message


def test_the_guard_refuses_linear_on_loopback_unless_allowed(
    tmp_path: Path, fake: LinearFake, config: dict[str, Any], linear: Destination
) -> None:
    with _app(tmp_path, JOURNEYHUB_ALLOWED_HOSTS=""), pytest.raises(ConfigError, match="loopback"):
        linear.perform(config, [finding()])
    assert fake.request_count == 0
