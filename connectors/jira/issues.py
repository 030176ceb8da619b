"""A finding as a Jira issue (`POST /rest/api/2/issue`), and finding it again by its marker label.

The issue carries a label made from the outbox key (`journeyhub-<hash>`): Jira labels take no
spaces and the key's own characters would need quoting in JQL, so the key is hashed into
letters, digits and a dash. `lookup` asks JQL `labels = "<marker>"`: that is how a worker that
died between Jira's answer and our commit learns that the issue exists. Jira Cloud indexes new
issues for search within moments, not at once; a lookup in that gap misses, which is the
remaining at-least-once window (our retry comes after the outbox's backoff, well past it).

Project and issue type go as `{"key": ...}` and `{"name": ...}`, which Jira takes as they are,
so a create is one request (the library would look a bare string up first). The description
is wiki markup (REST v2): the hub's text, each quote with a link to its transcript, and a link
to the finding. Recipe fields go through as Jira field ids; the system fields that want an
object (priority, assignee, components) are wrapped the way Jira asks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from jira import JIRA

from connectors.jira.client import JiraClient
from connectors.sdk.actions import Action, Done

SUMMARY_LIMIT = 254
_SPACES = re.compile(r"\s+")
_BY_NAME = {"priority", "security", "resolution"}
_NAMED_LIST = {"components", "fixVersions", "versions"}
_ACCOUNT = {"assignee", "reporter"}
_PLACED = {"project", "issuetype"}


def marker(key: str) -> str:
    """The label every attempt of one action carries; only letters, digits and a dash."""
    return "journeyhub-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def label(text: str) -> str:
    return _SPACES.sub("-", text.strip())


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def description(action: Action) -> str:
    """Wiki markup: the hub's text, the quotes it did not already link, and the finding's page."""
    parts = [action.text.strip()] if action.text.strip() else []
    quotes = [q for q in action.quotes if q.url not in action.text]
    if quotes:
        parts.append("\n".join(f'bq. "{q.text}" [transcript|{q.url}]' for q in quotes))
    if action.link:
        parts.append(f"[Open the finding in JourneyHub|{action.link}]")
    return "\n\n".join(parts)


def _value(name: str, value: str) -> Any:
    if name in _BY_NAME:
        return {"name": value}
    if name in _ACCOUNT:
        return {"accountId": value}
    if name in _NAMED_LIST:
        return [{"name": part} for part in _split(value)]
    return value


def issue_fields(config: Mapping[str, Any], action: Action) -> dict[str, Any]:
    extra = dict(action.fields)
    labels = [label(t) for t in _split(str(config.get("labels") or ""))]
    labels += [label(t) for t in _split(extra.pop("labels", ""))]
    summary = " ".join((extra.pop("summary", "") or action.title).split())
    fields: dict[str, Any] = {
        "project": {"key": str(config["project"])},
        "issuetype": {"name": str(config.get("issue_type") or "Task")},
        "summary": summary[:SUMMARY_LIMIT],
        "description": extra.pop("description", "") or description(action),
        "labels": list(dict.fromkeys([*labels, marker(action.key)])),
    }
    fields.update({name: _value(name, value) for name, value in extra.items()})
    return fields


def create(client: JiraClient, config: Mapping[str, Any], action: Action) -> Done:
    fields = issue_fields(config, action)
    issue = client.call("create issue", lambda sdk: sdk.create_issue(fields=fields, prefetch=False))
    return Done(ref=str(issue.key), detail={"id": str(issue.id), "url": _browse(config, str(issue.key))})


def find(client: JiraClient, config: Mapping[str, Any], action: Action) -> Done | None:
    jql = f'labels = "{marker(action.key)}" ORDER BY created ASC'

    def search(sdk: JIRA) -> dict[str, Any]:
        found = sdk.search_issues(jql, maxResults=1, fields="labels", json_result=True)
        if not isinstance(found, dict):
            raise TypeError("Jira search with json_result answers a JSON object")
        return found

    issues = client.call("search", search).get("issues") or []
    if not issues:
        return None
    key = str(issues[0]["key"])
    return Done(
        ref=key, detail={"id": str(issues[0]["id"]), "url": _browse(config, key), "found_by": "label"}
    )


def _browse(config: Mapping[str, Any], key: str) -> str:
    return f"{str(config['base_url']).rstrip('/')}/browse/{key}"


def writable(client: JiraClient) -> list[str]:
    """Field ids a recipe may name (`GET /rest/api/2/field`): the orderable ones, system and custom,
    less project and issue type, which the connection sets."""
    listed = client.call("fields", lambda sdk: sdk.fields())
    return sorted(str(f["id"]) for f in listed if f.get("orderable", True) and f["id"] not in _PLACED)
