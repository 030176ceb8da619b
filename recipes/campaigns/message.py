"""One invite as a channel receives it: the person, the rendered words, the links, the webhook payload.

Built from plain rows read once per batch (recipes.campaigns.delivery); nothing here reads
the database, so building a batch's messages costs no queries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.sdk import Message, Recipient
from recipes.campaigns.links import unsubscribe_token, unsubscribe_url
from recipes.campaigns.render import invite_context, render

MAX_CONTEXT_TEXT = 200
"""Longer trait values are cut in the link's context, so a link stays a link."""


@dataclass(frozen=True)
class InviteRow:
    """An invite with what its message needs, read in one query per batch."""

    id: int
    status: str
    profile_id: int
    campaign_id: int
    recipe_id: int | None
    event_id: int
    due_at: datetime
    link: str | None
    campaign: Mapping[str, Any]
    campaign_name: str
    traits: Mapping[str, Any]
    event_name: str | None
    properties: Mapping[str, Any]
    occurred_at: datetime | None
    recipe_name: str | None


def link_context(row: InviteRow) -> dict[str, Any]:
    """The context signed into the link: the campaign's traits and the built-ins, long values cut."""
    context = invite_context(
        list(row.campaign.get("context", [])), row.traits, row.event_name, row.recipe_name
    )
    return {name: _short(value) for name, value in context.items()}


def _short(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text[:MAX_CONTEXT_TEXT]


def recipient(row: InviteRow, identities: Mapping[str, str]) -> Recipient:
    email = row.traits.get("email") or identities.get("email")
    first, last = row.traits.get("first_name"), row.traits.get("last_name")
    name = row.traits.get("name") or " ".join(str(p) for p in (first, last) if p) or None
    return Recipient(
        profile_id=row.profile_id,
        email=str(email) if email else None,
        name=str(name) if name else None,
        identities=dict(identities),
    )


def build(row: InviteRow, link: str, key: str, identities: Mapping[str, str]) -> Message:
    """The message of one invite; RenderProblem when the campaign's templates fail on this person."""
    person = recipient(row, identities)
    unsubscribe = unsubscribe_url(unsubscribe_token(row.profile_id, row.id))
    variables = {
        "profile": {
            "id": row.profile_id,
            "email": person.email,
            "name": person.name,
            "traits": dict(row.traits),
        },
        "traits": dict(row.traits),
        "event": {
            "id": row.event_id,
            "name": row.event_name,
            "properties": dict(row.properties),
            "occurred_at": row.occurred_at.isoformat() if row.occurred_at else None,
        },
        "campaign": {"id": row.campaign_id, "name": row.campaign_name, **row.campaign},
    }
    words = render(row.campaign, variables, link, unsubscribe)
    payload = {
        "type": "invite",
        "invite": {
            "id": row.id,
            "token": link.rsplit("/", 1)[-1],
            "link": link,
            "profile_id": row.profile_id,
            "campaign_id": row.campaign_id,
            "recipe_id": row.recipe_id,
            "event_id": row.event_id,
            "due_at": row.due_at.isoformat(),
        },
        "campaign": {
            "id": row.campaign_id,
            "name": row.campaign_name,
            "interview_url": row.campaign.get("interview_url"),
        },
        "recipient": {"profile_id": row.profile_id, "email": person.email, "name": person.name},
        "context": link_context(row),
        "subject": words.subject,
        "text": words.text,
        "unsubscribe_url": unsubscribe,
    }
    return Message(
        idempotency_key=key,
        recipient=person,
        subject=words.subject,
        text=words.text,
        html=words.html,
        link=link,
        unsubscribe_url=unsubscribe,
        payload=payload,
    )
