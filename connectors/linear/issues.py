"""A finding as a Linear issue (`issueCreate`), and finding it again by the marker in its description.

Linear labels are workspace objects (an id each, made ahead by an admin), so a label per
action would mean creating and later cleaning up a label for every finding; the marker
therefore goes into the description, as a last `ref journeyhub-<hash>` line made from the
outbox key, and `lookup` asks `issues(filter: {description: {contains: marker}})` within the
connection's team. That is how a worker that died between Linear's answer and our commit
learns the issue exists. The issue also gets a client id derived from the same key
(`IssueCreateInput.id`), so should a lookup miss, Linear refuses the second create and the
issue is read back by that id instead of being made twice.

Recipe fields are `IssueCreateInput` fields (the list `fields` reads from the schema by
introspection); numbers go as numbers and id lists as lists.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from connectors.linear.client import LinearClient, Refused
from connectors.sdk import ConfigError, ErrorResolution, FailureType, ResponseAction
from connectors.sdk.actions import Action, Answer, Done, Rejected

ISSUE = "id identifier url"
CREATE = f"""mutation IssueCreate($input: IssueCreateInput!) {{
  issueCreate(input: $input) {{ success lastSyncId issue {{ {ISSUE} }} }}
}}"""
FIND = f"""query FindIssue($marker: String!, $team: ID!) {{
  issues(filter: {{description: {{contains: $marker}}, team: {{id: {{eq: $team}}}}}}, first: 1) {{
    nodes {{ {ISSUE} }}
  }}
}}"""
BY_ID = f"query Issue($id: String!) {{ issue(id: $id) {{ {ISSUE} description }} }}"
INPUT_FIELDS = 'query { __type(name: "IssueCreateInput") { inputFields { name } } }'
_NUMBERS = {"priority", "estimate"}
_LISTS = {"labelIds", "subscriberIds"}
_SET_BY_CONNECTION = {"teamId", "id", "descriptionData"}
_SETTINGS_WORDS = ("team", "project", "issuelabel")
SETTINGS = ErrorResolution(
    ResponseAction.FAIL, FailureType.CONFIG_ERROR, "the team, project or labels set on the connection"
)


def marker(key: str) -> str:
    return "journeyhub-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def client_id(key: str) -> str:
    """The issue's id in Linear, the same for every attempt of one action."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"journeyhub:{key}"))


def description(action: Action) -> str:
    """Markdown: the hub's text, the quotes it did not already link, the finding, and the marker."""
    parts = [action.text.strip()] if action.text.strip() else []
    quotes = [q for q in action.quotes if q.url not in action.text]
    parts += [f"> {q.text}\n\n[Transcript]({q.url})" for q in quotes]
    if action.link:
        parts.append(f"[Open the finding in JourneyHub]({action.link})")
    return "\n\n".join([*parts, f"ref {marker(action.key)}"])


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def issue_input(config: Mapping[str, Any], action: Action) -> dict[str, Any]:
    extra = dict(action.fields)
    labels = _split(str(config.get("label_ids") or "")) + _split(extra.pop("labelIds", ""))
    values: dict[str, Any] = {
        "id": client_id(action.key),
        "teamId": str(config["team_id"]),
        "title": " ".join((extra.pop("title", "") or action.title).split()),
        "description": description(action),
    }
    if extra.get("description"):
        values["description"] = f"{extra.pop('description')}\n\nref {marker(action.key)}"
    if config.get("project_id"):
        values["projectId"] = str(config["project_id"])
    if labels:
        values["labelIds"] = list(dict.fromkeys(labels))
    for name, value in extra.items():
        if name in _SET_BY_CONNECTION:
            continue
        values[name] = int(value) if name in _NUMBERS else _split(value) if name in _LISTS else value
    return values


def _done(issue: Mapping[str, Any], **detail: str) -> Done:
    return Done(
        ref=str(issue["id"]), detail={"identifier": issue["identifier"], "url": issue["url"], **detail}
    )


def create(client: LinearClient, config: Mapping[str, Any], action: Action) -> Answer:
    values = issue_input(config, action)
    try:
        made = client.query(CREATE, {"input": values})["issueCreate"]
    except Refused as refusal:
        earlier = _by_id(client, action)
        if earlier is not None:
            return earlier
        if any(word in refusal.words.lower() for word in _SETTINGS_WORDS):
            raise ConfigError(f"Linear issueCreate: {refusal.words}", resolution=SETTINGS) from None
        return Rejected(f"Linear refused it: {refusal.words}")
    if not made.get("success") or not made.get("issue"):
        return Rejected("Linear answered that the issue was not created")
    return _done(made["issue"])


def _by_id(client: LinearClient, action: Action) -> Done | None:
    """The issue an earlier attempt made with this action's client id, when it carries our marker."""
    try:
        issue = client.query(BY_ID, {"id": client_id(action.key)})["issue"]
    except Refused:
        return None
    if marker(action.key) not in str(issue.get("description") or ""):
        return None
    return _done(issue, found_by="client id")


def find(client: LinearClient, config: Mapping[str, Any], action: Action) -> Done | None:
    found = client.query(FIND, {"marker": marker(action.key), "team": str(config["team_id"])})
    nodes = found["issues"]["nodes"]
    return _done(nodes[0], found_by="description marker") if nodes else None


def writable(client: LinearClient) -> list[str]:
    listed = client.query(INPUT_FIELDS, {})["__type"]["inputFields"]
    return sorted(str(f["name"]) for f in listed if f["name"] not in _SET_BY_CONNECTION)
