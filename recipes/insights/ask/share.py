"""An answer taken where the team works: a note on a finding, or a one-off result action.

The action is an outbox row of the kind `action` (recipes.actions), so it is sent, retried,
parked and replayed like every other; its payload is the stored action a destination is
given (title, text, link, quotes with links to their transcript turns); a message leads
with the answer (`fields.text`, as a recipe's Slack action would), an issue or comment
carries it as its text. A `comment` names
the finding whose issue it threads to; the key is the message, connection and operation, so
sending the same answer twice to the same place adds one row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.errors import ApiError
from hub.models import AskMessage, AskNote, Connection, Finding
from hub.outbox.rows import NewRow, add
from recipes.actions.enqueue import KIND, finding_prefix
from recipes.actions.render import finding_link, public_url, quote_url

OPERATIONS = ("post_message", "comment", "create_issue")


def note(session: Session, message: AskMessage, finding: Finding) -> AskNote:
    saved = AskNote(
        finding_id=finding.id,
        message_id=message.id,
        text=str(message.answer.get("answer", "")),
        citations=list(message.answer.get("citations") or []),
    )
    session.add(saved)
    session.commit()
    return saved


def action(
    session: Session, message: AskMessage, connection_id: int, operation: str, finding: Finding | None
) -> tuple[str, str]:
    """Adds the row and commits; answers its idempotency key and target."""
    connection = session.get(Connection, connection_id)
    if connection is None:
        details = [{"field": "connection_id", "message": "no such connection"}]
        raise ApiError(400, "unknown_connection", "connection_id: no such connection", details)
    answer = message.answer
    payload: dict[str, Any] = {
        "connection_id": connection.id,
        "on": "answer",
        "operation": operation,
        "message_id": message.id,
        "action": {
            "title": f"Research answer: {message.question.strip()[:150]}",
            "text": str(answer.get("answer", "")),
            "link": finding_link(finding.id) if finding is not None else _conversation_link(message),
            "quotes": [
                {
                    "text": c["quote"],
                    "url": quote_url(int(c["result_id"]), int(c["turn"])),
                    "result_id": c["result_id"],
                }
                for c in answer.get("citations") or []
            ],
            "fields": {"text": str(answer.get("answer", ""))} if operation == "post_message" else {},
        },
    }
    if finding is not None:
        payload["finding_id"] = finding.id
    key = f"action:m{message.id}:c{connection.id}:{operation}"
    if operation == "comment" and finding is not None:
        key = f"{finding_prefix(finding.id, connection.id)}m{message.id}"  # threads to the finding's issue
    target = f"{connection.connector}:{connection.id}"
    add(session, [NewRow(kind=KIND, target=target, payload=payload, idempotency_key=key)])
    session.commit()
    return key, target


def _conversation_link(message: AskMessage) -> str:
    return f"{public_url()}/api/v1/insights/conversations/{message.conversation_id}"
