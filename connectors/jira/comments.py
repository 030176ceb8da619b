"""A changed finding as a comment on the issue its first action opened (`POST /issue/{key}/comment`).

The comment ends with a short `ref journeyhub-…` line made from the outbox key, since Jira has
no label on comments and JQL does not search them; `lookup` reads the issue's latest comments
(`GET /issue/{key}/comment`) for that line, so a comment whose worker died before our commit
is not posted twice. An issue deleted in Jira meanwhile refuses the comment: that action alone
fails, in words, and the connection stays as it is.
"""

from __future__ import annotations

from typing import cast

from jira import JIRA
from jira.resources import Comment

from connectors.jira.client import JiraClient
from connectors.jira.issues import description, marker
from connectors.sdk import ConfigError
from connectors.sdk.actions import Action, Answer, Done, Rejected

RECENT = 50


def body(action: Action) -> str:
    text = action.fields.get("body") or "\n\n".join(p for p in (action.title, description(action)) if p)
    return f"{text}\n\nref {marker(action.key)}"


def comment(client: JiraClient, action: Action) -> Answer:
    key = str(action.thread)
    try:
        made = client.call("comment", lambda sdk: sdk.add_comment(key, body(action)))
    except ConfigError as exc:
        if exc.status == 404:
            return Rejected(f"Jira issue {key} no longer exists or cannot be seen with these credentials")
        raise
    return Done(ref=key, detail={"comment_id": str(made.id)})


def find(client: JiraClient, action: Action) -> Done | None:
    key, ref = str(action.thread), f"ref {marker(action.key)}"

    def recent(sdk: JIRA) -> list[Comment]:
        return cast(list[Comment], sdk.comments(key, max_results=RECENT, order_by="-created"))

    try:
        listed = client.call("comments", recent)
    except ConfigError as exc:
        if exc.status == 404:
            return None
        raise
    for found in listed:
        if ref in str(found.raw.get("body") or ""):
            return Done(ref=key, detail={"comment_id": str(found.id), "found_by": "comment marker"})
    return None
