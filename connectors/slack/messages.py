"""Result actions as Slack messages (`post_message`), one at a time, paced per channel.

Slack takes about one message a second per channel, so the destination declares that pace
and the outbox reserves each message's slot (hub.outbox.pacing) before calling `perform`;
a 429 that slips through still raises RateLimited with Slack's Retry-After. The channel is
the action's `channel` field, else the connection's; a webhook connection posts where
Slack bound its URL. Slack has no idempotency key and reading a channel back needs
another scope, so `lookup` cannot tell whether a crashed attempt arrived: a worker killed
between Slack's answer and the commit may post that one message twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.sdk.actions import Action, Answer, Done, Pace, Rejected
from connectors.slack.blocks import message
from connectors.slack.client import post_message, post_webhook

POST_MESSAGE = "post_message"
WRITABLE = {"bot": ["channel", "text"], "webhook": ["text"]}
"""A recipe's fields: where (a channel name or id) and an opening line; the rest is the hub's."""


def channel_of(config: Mapping[str, Any], action: Action) -> str:
    """Where a bot-token connection posts this action: the pace's scope, hence one pace per channel."""
    return str(action.fields.get("channel") or config.get("channel") or "").strip()


class SlackActions:
    operations = frozenset({POST_MESSAGE})
    batch_size = 1
    pace: Pace | None = Pace(per_seconds=1, count=1, scope="channel")

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        answers: dict[str, Answer] = {}
        for action in actions:
            answers[action.key] = self._one(config, action)
        return answers

    @staticmethod
    def _one(config: dict[str, Any], action: Action) -> Answer:
        if action.operation != POST_MESSAGE:
            return Rejected(f"Slack only posts messages, not {action.operation}")
        body = message(action)
        if config.get("webhook_url"):
            return post_webhook(config, body)
        channel = channel_of(config, action)
        if not channel:
            return Rejected("no Slack channel: set the connection's channel or the action's channel field")
        return post_message(config, channel, body)

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        return None

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        return list(WRITABLE["webhook" if config.get("webhook_url") else "bot"])
