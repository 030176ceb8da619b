"""Jira Cloud: findings become issues and their changes comments, through the `jira` library.

One action is one request (`batch_size` 1): Jira has a bulk create, but it answers a refused
issue in the same 201 as the created ones and retrying the batch would make the others twice.
Jira's burst limits answer 429 with Retry-After, which the outbox waits for; there is no pace
of our own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from connectors.jira import comments, issues
from connectors.jira.client import JiraClient, refused
from connectors.jira.fake import start as start_fake
from connectors.sdk import (
    Capability,
    CheckResult,
    ConfigField,
    Connector,
    ConnectorSpec,
    FieldType,
    HttpError,
    check,
)
from connectors.sdk.actions import Action, Answer, Destination, Done, Pace, Rejected
from connectors.sdk.fakes.server import FakeServer


class JiraActions:
    operations: frozenset[str] = frozenset({"create_issue", "comment"})
    batch_size = 1
    pace: Pace | None = None

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        client = JiraClient(config)
        answers: dict[str, Answer] = {}
        try:
            for action in actions:
                answers[action.key] = self._one(client, config, action)
        finally:
            client.close()
        return answers

    @staticmethod
    def _one(client: JiraClient, config: dict[str, Any], action: Action) -> Answer:
        try:
            if action.operation == "comment" and action.thread:
                return comments.comment(client, action)
            return issues.create(client, config, action)
        except HttpError as exc:
            if refused(exc):
                return Rejected(f"Jira refused it: {exc.provider_message or exc}")
            raise

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        client = JiraClient(config)
        try:
            if action.operation == "comment" and action.thread:
                return comments.find(client, action)
            return issues.find(client, config, action)
        finally:
            client.close()

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        if operation != "create_issue":
            return None
        client = JiraClient(config)
        try:
            return issues.writable(client)
        finally:
            client.close()


class JiraConnector(Connector):
    spec = ConnectorSpec(
        name="jira",
        title="Jira",
        fields=(
            ConfigField(
                name="base_url",
                label="Site address",
                type=FieldType.URL,
                required=True,
                help="https://your-site.atlassian.net",
            ),
            ConfigField(name="email", label="Account email", required=True),
            ConfigField(name="api_token", label="API token", secret=True, required=True),
            ConfigField(name="project", label="Project key", required=True, help="issues are opened here"),
            ConfigField(name="issue_type", label="Issue type", default="Task"),
            ConfigField(
                name="labels",
                label="Labels",
                default="journeyhub",
                help="comma-separated; spaces inside a label become dashes",
            ),
            ConfigField(name="ca_bundle", label="CA bundle path", help="for a site with a private CA"),
        ),
        capabilities=frozenset({Capability.ACTIONS}),
    )
    actions: ClassVar[Destination | None] = JiraActions()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        def probe() -> str:
            client = JiraClient(config)
            try:
                project = client.call("project", lambda sdk: sdk.project(str(config["project"])))
            finally:
                client.close()
            return f"connected to Jira; project {project.key} ({project.name}) is visible"

        return check(probe)

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, seed=seed)


CONNECTOR = JiraConnector()
