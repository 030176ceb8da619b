"""Linear: findings become issues and their changes comments, over Linear's GraphQL API.

One action is one request (`batch_size` 1): a GraphQL document could carry several aliased
`issueCreate`s, but Linear answers one error for the document and we could not tell which
issue was made. Linear budgets requests per hour per API key (2,500 to 5,000 by the sources
in apis.md §7, 1,500 by others), so actions are paced at 1,200 an hour shared by every worker,
which leaves room for lookups and checks; a burst beyond it waits its turn instead of 429ing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from connectors.linear import comments, issues
from connectors.linear.client import LinearClient
from connectors.linear.fake import start as start_fake
from connectors.linear.issues import SETTINGS
from connectors.sdk import (
    Capability,
    CheckResult,
    ConfigError,
    ConfigField,
    Connector,
    ConnectorSpec,
    FieldType,
    check,
)
from connectors.sdk.actions import Action, Answer, Destination, Done, Pace
from connectors.sdk.fakes.server import FakeServer

HOURLY = 1200
VIEWER = "query { viewer { name email } teams(first: 50) { nodes { id key name } } }"


class LinearActions:
    operations: frozenset[str] = frozenset({"create_issue", "comment"})
    batch_size = 1
    pace: Pace | None = Pace(per_seconds=3600.0, count=HOURLY)

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        answers: dict[str, Answer] = {}
        with LinearClient(config) as client:
            for action in actions:
                if action.operation == "comment" and action.thread:
                    answers[action.key] = comments.comment(client, action)
                else:
                    answers[action.key] = issues.create(client, config, action)
        return answers

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        with LinearClient(config) as client:
            if action.operation == "comment" and action.thread:
                return comments.find(client, action)
            return issues.find(client, config, action)

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        if operation != "create_issue":
            return None
        with LinearClient(config) as client:
            return issues.writable(client)


class LinearConnector(Connector):
    spec = ConnectorSpec(
        name="linear",
        title="Linear",
        fields=(
            ConfigField(
                name="base_url", label="API address", type=FieldType.URL, default="https://api.linear.app"
            ),
            ConfigField(
                name="api_key",
                label="API key",
                secret=True,
                required=True,
                help="a personal API key (lin_api_…)",
            ),
            ConfigField(
                name="team_id", label="Team id", required=True, help="issues are opened in this team"
            ),
            ConfigField(
                name="project_id", label="Project id", help="optional; issues are added to this project"
            ),
            ConfigField(name="label_ids", label="Label ids", help="optional; comma-separated label ids"),
        ),
        capabilities=frozenset({Capability.ACTIONS}),
    )
    actions: ClassVar[Destination | None] = LinearActions()

    def test_connection(self, config: dict[str, Any]) -> CheckResult:
        def probe() -> str:
            with LinearClient(config) as client:
                seen = client.query(VIEWER, {})
            teams = {t["id"]: t for t in seen["teams"]["nodes"]}
            team = teams.get(str(config["team_id"]))
            if team is None:
                raise ConfigError(
                    f"team {config['team_id']} is not visible to this API key", resolution=SETTINGS
                )
            return f"connected to Linear as {seen['viewer']['name']}; team {team['key']} ({team['name']}) is visible"

        return check(probe)

    def fake(self, *, port: int = 0, members: int = 100, seed: int = 1) -> FakeServer:
        return start_fake(port=port, seed=seed)


CONNECTOR = LinearConnector()
