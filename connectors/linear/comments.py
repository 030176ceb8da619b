"""A changed finding as a comment on the Linear issue its first action made (`commentCreate`).

`thread` is that issue's id. The comment ends with the action's marker line, and `lookup`
reads the issue's comments filtered on it (`comments(filter: {body: {contains: marker}})`),
so a comment whose worker died before our commit is not posted twice.
"""

from __future__ import annotations

from connectors.linear.client import LinearClient, Refused
from connectors.linear.issues import description, marker
from connectors.sdk.actions import Action, Answer, Done, Rejected

CREATE = """mutation CommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success lastSyncId comment { id url } }
}"""
FIND = """query FindComment($issue: String!, $marker: String!) {
  issue(id: $issue) { comments(filter: {body: {contains: $marker}}, first: 1) { nodes { id url } } }
}"""


def body(action: Action) -> str:
    return action.fields.get("body") or f"**{action.title}**\n\n{description(action)}"


def comment(client: LinearClient, action: Action) -> Answer:
    issue = str(action.thread)
    try:
        made = client.query(CREATE, {"input": {"issueId": issue, "body": body(action)}})["commentCreate"]
    except Refused as refusal:
        return Rejected(f"Linear refused the comment on issue {issue}: {refusal.words}")
    return Done(ref=issue, detail={"comment_id": made["comment"]["id"], "url": made["comment"]["url"]})


def find(client: LinearClient, action: Action) -> Done | None:
    try:
        found = client.query(FIND, {"issue": str(action.thread), "marker": marker(action.key)})
    except Refused:
        return None
    nodes = found["issue"]["comments"]["nodes"]
    if not nodes:
        return None
    return Done(ref=str(action.thread), detail={"comment_id": nodes[0]["id"], "found_by": "comment marker"})
