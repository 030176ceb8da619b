"""The messaging half of the Intercom fake: admin-initiated messages, their conversations, and search.

`POST /messages` takes Intercom's body (message_type `inapp` | `email`, subject, body,
template, from `{type: admin, id}`, to `{type: user | lead, id}`) and answers with the
message it made. With `create_conversation_without_contact_reply` a conversation is
opened at once, as Intercom does; `POST /conversations/search` finds it by the fields
Intercom indexes (`contact_ids`, `source.body`, ...). That search is how a sender with no
idempotency header can ask, after a crash, whether its first attempt arrived. `GET /me`
names the admin whose token is used. Everything received is kept for tests to read.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.intercom.search import CONVERSATION_SEARCHABLE, evaluate, validate
from connectors.sdk.fakes.handlers import ApiError, as_int, json_response, read_json
from connectors.sdk.fakes.population import utcnow
from connectors.sdk.fakes.server import FakeServer

MESSAGE_TYPES = ("inapp", "email")
TEMPLATES = ("plain", "personal")
RECIPIENT_TYPES = ("user", "lead", "contact")
MAX_PER_PAGE, DEFAULT_PER_PAGE = 150, 20


class IntercomMessaging(FakeServer):
    """Shared by the Intercom fake; relies only on FakeServer's population and id scheme."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.admin_id = str(5_000_000 + self.seed)
        self.sent: list[dict[str, Any]] = []
        """Every message created, oldest first, as the API answered it plus whom it went to."""
        self.conversations: list[dict[str, Any]] = []
        self._ids = itertools.count(2001)

    def messaging_routes(self) -> list[Rule]:
        return [
            Rule("/me", methods=["GET"], endpoint="get_me"),
            Rule("/messages", methods=["POST"], endpoint="create_message"),
            Rule("/conversations/search", methods=["POST"], endpoint="search_conversations"),
        ]

    def admin(self) -> dict[str, Any]:
        return {"type": "admin", "id": self.admin_id, "name": "Fake Admin", "email": "admin@intercom.test"}

    def get_me(self, request: Request) -> Response:
        return json_response(self.admin() | {"email_verified": True, "app": {"type": "app", "name": "Fake"}})

    # -- POST /messages ---------------------------------------------------------------------------
    def _recipient(self, to: Any) -> tuple[str, int]:
        if not isinstance(to, dict) or to.get("type") not in RECIPIENT_TYPES or not to.get("id"):
            raise ApiError(400, "to must be {type: user|lead, id}", "parameter_invalid")
        contact_id = str(to["id"])
        try:
            return contact_id, self.member_index(contact_id)
        except KeyError:
            raise ApiError(404, "User Not Found", "not_found") from None

    def _check(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object", "parameter_invalid")
        if body.get("message_type") not in MESSAGE_TYPES:
            raise ApiError(400, "message_type must be inapp or email", "parameter_invalid")
        if not isinstance(body.get("body"), str) or not body["body"].strip():
            raise ApiError(400, "body is required", "parameter_not_found")
        if body["message_type"] == "email":
            if not body.get("subject"):
                raise ApiError(400, "subject is required for email messages", "parameter_not_found")
            if body.get("template") not in TEMPLATES:
                raise ApiError(400, "template must be plain or personal", "parameter_invalid")
        sender = body.get("from")
        if not isinstance(sender, dict) or sender.get("type") != "admin":
            raise ApiError(400, "from must be {type: admin, id}", "parameter_invalid")
        if str(sender.get("id")) != self.admin_id:
            raise ApiError(404, "Admin Not Found", "admin_not_found")

    def create_message(self, request: Request) -> Response:
        body = read_json(request)
        self._check(body)
        contact_id, index = self._recipient(body.get("to"))
        if body["message_type"] == "email" and not self.population.person(index).email:
            raise ApiError(400, "The contact has no email address", "parameter_invalid")
        now, message_id = int(utcnow().timestamp()), str(next(self._ids))
        message: dict[str, Any] = {
            "type": "admin_message",
            "id": message_id,
            "created_at": now,
            "subject": body.get("subject") or "",
            "body": body["body"],
            "message_type": body["message_type"],
            "template": body.get("template") or "plain",
            "owner": self.admin(),
        }
        if body.get("create_conversation_without_contact_reply"):
            message["conversation_id"] = self._open(message, contact_id, now)
        self.sent.append(message | {"to": {"type": body["to"]["type"], "id": contact_id}})
        return json_response(message)

    def _open(self, message: dict[str, Any], contact_id: str, now: int) -> str:
        conversation_id = str(100_000_000 + len(self.conversations) + 1)
        self.conversations.append(
            {
                "type": "conversation",
                "id": conversation_id,
                "created_at": now,
                "updated_at": now,
                "source": {
                    "type": "email" if message["message_type"] == "email" else "conversation",
                    "id": message["id"],
                    "delivered_as": "admin_initiated",
                    "subject": message["subject"],
                    "body": message["body"],
                    "author": self.admin(),
                    "attachments": [],
                    "url": None,
                    "redacted": False,
                },
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": contact_id}]},
                "teammates": {"type": "admin.list", "admins": []},
                "open": True,
                "state": "open",
                "read": False,
                "priority": "not_priority",
                "admin_assignee_id": None,
                "team_assignee_id": None,
                "tags": {"type": "tag.list", "tags": []},
            }
        )
        return conversation_id

    # -- POST /conversations/search ------------------------------------------------------------
    @staticmethod
    def _searchable(conversation: dict[str, Any]) -> dict[str, Any]:
        """The record as the search index sees it: list fields flattened to the one id they hold here."""
        contacts = conversation["contacts"]["contacts"]
        return conversation | {"contact_ids": contacts[0]["id"] if contacts else None}

    def _conversation_matches(self, query: dict[str, Any], conversation: dict[str, Any]) -> bool:
        return evaluate(query, lambda: self._searchable(conversation), lambda _field, _ref: False)

    def search_conversations(self, request: Request) -> Response:
        body = read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
            raise ApiError(400, "query parameter is required", "parameter_not_found")
        validate(body["query"], searchable=CONVERSATION_SEARCHABLE)
        per_page = as_int((body.get("pagination") or {}).get("per_page", DEFAULT_PER_PAGE), "per_page")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ApiError(400, f"per_page must be between 1 and {MAX_PER_PAGE}")
        found = [c for c in self.conversations if self._conversation_matches(body["query"], c)]
        pages = {
            "type": "pages",
            "page": 1,
            "per_page": per_page,
            "total_pages": math.ceil(len(found) / per_page),
        }
        return json_response(
            {
                "type": "conversation.list",
                "conversations": found[:per_page],
                "total_count": len(found),
                "pages": pages,
            }
        )
