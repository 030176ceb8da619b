"""A finding or result as a Slack message: Block Kit for people, plain text for notifications.

Header (the hub's title), the theme and its share (or a result's themes, sentiment and
quality), up to five quotes each linking to its transcript, and a button to the finding.
A recipe's `text` field, when set, leads the message. Slack's limits are kept here (header
150 characters, section 3,000, 50 blocks) so a long quote is cut, not the whole message refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk.actions import Action

HEADER_MAX, SECTION_MAX, QUOTES_MAX = 150, 3000, 5


def escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup; text from interviews must stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(mrkdwn, SECTION_MAX)}}


def _facts(context: Mapping[str, Any]) -> list[str]:
    """The numbers a reader acts on, from whichever of a finding's or a result's keys are there."""
    facts = []
    if context.get("theme"):
        facts.append(f"*Theme:* {escape(str(context['theme']))}")
    if isinstance(context.get("share"), int | float):
        share = f"*Share:* {round(float(context['share']) * 100)}%"
        if context.get("interviews"):
            share += f" of {context['interviews']} interviews"
        if isinstance(context.get("share_before"), int | float):
            share += f" (was {round(float(context['share_before']) * 100)}%)"
        facts.append(share)
    if context.get("themes"):
        labels = context["themes"] if isinstance(context["themes"], list) else [context["themes"]]
        facts.append("*Themes:* " + escape(", ".join(str(t) for t in labels)))
    sentiment = context.get("sentiment")
    if isinstance(sentiment, int | float):
        facts.append(f"*Sentiment:* {sentiment:+.2f}")
    elif sentiment:
        facts.append(f"*Sentiment:* {escape(str(sentiment))}")
    for key, label in (("quality", "Quality"), ("interview_date", "Interview")):
        if context.get(key) not in (None, ""):
            facts.append(f"*{label}:* {escape(str(context[key]))}")
    return facts


def message(action: Action) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage and for an incoming webhook alike."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(action.title, HEADER_MAX)}}
    ]
    lead = action.fields.get("text")
    if lead:
        blocks.append(_section(escape(lead)))
    facts = _facts(action.context)
    if facts:
        blocks.append(_section("\n".join(facts)))
    for quote in action.quotes[:QUOTES_MAX]:
        said = _cut(escape(" ".join(quote.text.split())), SECTION_MAX - 200)
        blocks.append(_section(f"> {said}\n<{quote.url}|Transcript of interview {quote.result_id}>"))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open in journeyhub"},
                    "url": action.link,
                }
            ],
        }
    )
    fallback = f"{lead}\n{action.title}" if lead else action.title
    return {"text": f"{fallback}\n{action.link}", "blocks": blocks, "unfurl_links": False}
