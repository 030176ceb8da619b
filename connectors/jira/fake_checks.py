"""The Jira fake's checks of an issue it is asked to create, with Jira's own words for each refusal.

Each refusal names its field in `errors` (`{"errors": {"summary": "..."}}`), as Jira does, so
a connector can tell the connection's settings (project, issue type) from this one issue's
content (a label with a space, a field not on the screen).
"""

from __future__ import annotations

from typing import Any

from connectors.jira.fake_search import SYSTEM_FIELDS
from connectors.sdk.fakes.handlers import ApiError

PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
SUMMARY_LIMIT = 255


def text_value(version: str, value: Any, name: str) -> Any:
    """REST v2 takes text; v3 takes only an Atlassian document."""
    if version == "3" and not (isinstance(value, dict) and value.get("type") == "doc"):
        raise ApiError(
            400, "Operation value must be an Atlassian Document (see the Atlassian Document Format)", name
        )
    if version == "2" and not isinstance(value, str):
        raise ApiError(400, "Operation value must be a string", name)
    return value


def check_fields(
    fields: dict[str, Any], version: str, project: dict[str, Any], custom_fields: set[str]
) -> dict[str, Any]:
    """Jira's checks, in its order: where the issue goes, then what it says; the placement found."""
    placed = placement(fields, project)
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ApiError(400, "You must specify a summary of the issue.", "summary")
    if len(summary) > SUMMARY_LIMIT:
        raise ApiError(400, "Summary must be less than 255 characters.", "summary")
    for label in fields.get("labels") or []:
        if not isinstance(label, str) or not label or any(c.isspace() for c in label):
            raise ApiError(400, f"The label '{label}' contains spaces which is invalid.", "labels")
    priority = fields.get("priority")
    if priority is not None and (not isinstance(priority, dict) or priority.get("name") not in PRIORITIES):
        raise ApiError(400, "Specify the Priority (name) in the string format", "priority")
    settable = {f["id"] for f in SYSTEM_FIELDS} | custom_fields
    for name in fields:
        if name not in settable:
            raise ApiError(
                400, f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown.", name
            )
    if "description" in fields:
        text_value(version, fields["description"], "description")
    return placed


def placement(fields: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    wanted = fields.get("project") or {}
    if not isinstance(wanted, dict) or not (
        {wanted.get("key"), wanted.get("id")} & {project["key"], project["id"]}
    ):
        raise ApiError(400, "valid project is required", "project")
    kind = fields.get("issuetype") or {}
    types = project["issueTypes"]
    known = {t["name"]: t for t in types} | {t["id"]: t for t in types}
    chosen = known.get(str(kind.get("name") or kind.get("id"))) if isinstance(kind, dict) else None
    if chosen is None:
        raise ApiError(400, "Specify a valid issue type", "issuetype")
    return {"project": project, "issuetype": chosen}
