"""What the Slack fake checks of Block Kit before it takes a message, as Slack answers `invalid_blocks`.

Not all of Block Kit: the block types and limits our messages use and the mistakes that
would slip past a lenient fake (an unknown type, text of the wrong kind, a header or
section over its length, more than 50 blocks, a button without text or with a bad URL).
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS, HEADER_MAX, SECTION_MAX, BUTTON_TEXT_MAX, URL_MAX = 50, 150, 3000, 75, 3000
TEXT_TYPES = {"plain_text", "mrkdwn"}


def problems(blocks: Any) -> list[str]:
    """Slack's `response_metadata.messages` for invalid blocks; empty when the blocks are fine."""
    if not isinstance(blocks, list):
        return ["[ERROR] must provide an array [json-pointer:/blocks]"]
    if len(blocks) > MAX_BLOCKS:
        return [f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"]
    found: list[str] = []
    for index, block in enumerate(blocks):
        found += [f"[ERROR] {p} [json-pointer:/blocks/{index}]" for p in _block(block)]
    return found


def _text(value: Any, kinds: set[str], limit: int) -> list[str]:
    if not isinstance(value, dict) or value.get("type") not in kinds:
        return [f"must be a text object of type {' or '.join(sorted(kinds))}"]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return ["text must be a non-empty string"]
    return [f"text must be less than {limit + 1} characters"] if len(text) > limit else []


def _block(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return ["must be an object"]
    kind = block.get("type")
    if kind == "header":
        return _text(block.get("text"), {"plain_text"}, HEADER_MAX)
    if kind == "section":
        return _text(block.get("text"), TEXT_TYPES, SECTION_MAX)
    if kind == "divider":
        return []
    if kind == "context":
        elements = block.get("elements")
        return (
            [] if isinstance(elements, list) and 0 < len(elements) <= 10 else ["must have 1 to 10 elements"]
        )
    if kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 0 < len(elements) <= 25:
            return ["must have 1 to 25 elements"]
        return [p for element in elements for p in _button(element)]
    return [f"unsupported type {kind!r}"]


def _button(element: Any) -> list[str]:
    if not isinstance(element, dict) or element.get("type") != "button":
        return ["only buttons are supported in this fake's actions blocks"]
    found = _text(element.get("text"), {"plain_text"}, BUTTON_TEXT_MAX)
    url = element.get("url")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > URL_MAX
    ):
        found.append("url must be an http(s) URL")
    return found
