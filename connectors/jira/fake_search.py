"""What the Jira fake lists and searches: its fields (`GET /field`) and a small JQL (`search/jql`).

The JQL understood is what a connector asks: clauses joined by AND, each `field = value` or
`field in (a, b)` over `labels`, `project` and `key`, values bare or in double quotes, and an
optional `ORDER BY created ASC|DESC`. Anything else is Jira's own 400 for a query it cannot
read, so a connector sending more than this fake knows fails loudly instead of matching all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from connectors.sdk.fakes.handlers import ApiError

SEARCHABLE = {"labels", "project", "key", "issuekey"}
_CLAUSE = re.compile(r"^\s*(\w+)\s*(=|in)\s*(.+?)\s*$", re.IGNORECASE)
_VALUE = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s,()"]+)')
_ORDER = re.compile(r"\s+ORDER\s+BY\s+created(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)

Issue = dict[str, Any]


def system_field(
    field_id: str, name: str, schema: dict[str, Any], *, clause: str | None = None
) -> dict[str, Any]:
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": False,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [clause or field_id],
        "schema": schema,
    }


SYSTEM_FIELDS = [
    system_field("summary", "Summary", {"type": "string", "system": "summary"}),
    system_field("description", "Description", {"type": "string", "system": "description"}),
    system_field("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
    system_field("priority", "Priority", {"type": "priority", "system": "priority"}),
    system_field("assignee", "Assignee", {"type": "user", "system": "assignee"}),
    system_field("components", "Components", {"type": "array", "items": "component", "system": "components"}),
    system_field("duedate", "Due date", {"type": "date", "system": "duedate"}),
    system_field("project", "Project", {"type": "project", "system": "project"}),
    system_field("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, clause="type"),
]
READ_ONLY = [
    {**system_field("created", "Created", {"type": "datetime", "system": "created"}), "orderable": False},
    {**system_field("status", "Status", {"type": "status", "system": "status"}), "orderable": False},
]


def custom_field(field_id: str) -> dict[str, Any]:
    number = field_id.removeprefix("customfield_")
    return {
        "id": field_id,
        "key": field_id,
        "name": f"Custom {number}",
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{number}]"],
        "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"},
    }


def _values(raw: str) -> list[str]:
    text = raw.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    found = [
        (m.group(1).replace('\\"', '"') if m.group(1) is not None else m.group(2))
        for m in _VALUE.finditer(text)
    ]
    if not found:
        raise ApiError(400, f"Error in the JQL Query: expected a value, found '{raw}'")
    return found


def matcher(jql: str) -> tuple[Callable[[Issue], bool], bool]:
    """A predicate over stored issues, and whether newest come first."""
    descending = False
    order = _ORDER.search(jql)
    if order:
        descending = (order.group(1) or "ASC").upper() == "DESC"
        jql = jql[: order.start()]
    tests: list[Callable[[Issue], bool]] = []
    for clause in re.split(r"\s+AND\s+", jql.strip(), flags=re.IGNORECASE) if jql.strip() else []:
        parsed = _CLAUSE.match(clause)
        if not parsed:
            raise ApiError(400, f"Error in the JQL Query: the query '{clause}' could not be parsed")
        name, _, raw = parsed.groups()
        name = name.lower()
        if name not in SEARCHABLE:
            raise ApiError(400, f"Field '{name}' does not exist or you do not have permission to view it.")
        wanted = set(_values(raw))
        tests.append(_test(name, wanted))
    return (lambda issue: all(t(issue) for t in tests)), descending


def _test(name: str, wanted: set[str]) -> Callable[[Issue], bool]:
    if name == "labels":
        return lambda issue: bool(wanted & set(issue["fields"]["labels"]))
    if name == "project":
        return lambda issue: bool(
            wanted & {issue["fields"]["project"]["key"], issue["fields"]["project"]["id"]}
        )
    return lambda issue: issue["key"] in wanted
