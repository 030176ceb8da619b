"""Result actions out as Standard Webhooks: a finding or result posted as signed JSON (`post_message`).

For a receiver of the team's own (a chat bridge, an internal tool): the hub's title, text,
link and quotes, the recipe's rendered fields, and the finding's or result's structure, in
one event whose `webhook-id` is the outbox key, so a receiver that deduplicates sees one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from connectors.generic.sender import post
from connectors.sdk.actions import Action, Answer, Done, Pace


class WebhookActions:
    operations = frozenset({"post_message"})
    batch_size = 1
    pace: Pace | None = None

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        answers: dict[str, Answer] = {}
        for action in actions:
            status = post(config, action.key, _event(action))
            answers[action.key] = Done(detail={"status": status, "webhook_id": action.key})
        return answers

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        return None

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        return None


def _event(action: Action) -> dict[str, Any]:
    return {
        "type": f"action.{action.operation}",
        "key": action.key,
        "title": action.title,
        "text": action.text,
        "link": action.link,
        "fields": dict(action.fields),
        "quotes": [asdict(q) for q in action.quotes],
        "respondent": asdict(action.respondent) if action.respondent else None,
        "context": dict(action.context),
    }
