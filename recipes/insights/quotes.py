"""Quotes are the respondent's own words: located in a respondent turn, or refused.

A synthesiser names a quote and the turn it came from; it is kept only where its text is
found in a respondent turn (the named one first), and then as the transcript's own
characters with their span. Case, spacing and quote marks between words may differ from
what the synthesiser wrote (models tidy them), the words themselves may not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from recipes.insights.synthesis import Quote

WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
MIN_WORDS = 2


def respondent_turns(transcript: Sequence[Mapping[str, Any]]) -> list[int]:
    return [i for i, turn in enumerate(transcript) if turn.get("speaker") == "respondent"]


def locate(text: str, turn: int | None, transcript: Sequence[Mapping[str, Any]]) -> Quote | None:
    """The quote as the transcript has it, or None when no respondent turn holds those words."""
    tokens = WORDS.findall(text)
    if len(tokens) < MIN_WORDS:
        return None
    order = respondent_turns(transcript)
    if turn in order:
        order.remove(turn)
        order.insert(0, turn)
    for index in order:
        said = str(transcript[index].get("text", ""))
        start = said.find(text.strip())
        if start >= 0:
            return Quote(text=text.strip(), turn=index, start=start, end=start + len(text.strip()))
    pattern = re.compile(
        r"(?<![^\W_])" + r"[\W_]+".join(_word(t) for t in tokens) + r"(?![^\W_])", re.IGNORECASE
    )
    for index in order:
        said = str(transcript[index].get("text", ""))
        match = pattern.search(said)
        if match:
            return Quote(text=match.group(), turn=index, start=match.start(), end=match.end())
    return None


def _word(token: str) -> str:
    return "['’]".join(re.escape(part) for part in re.split("['’]", token))


def is_exact(quote: Mapping[str, Any], transcript: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a stored quote is what its respondent turn says at its span (what tests hold us to)."""
    turn = quote.get("turn")
    if not isinstance(turn, int) or not 0 <= turn < len(transcript):
        return False
    if transcript[turn].get("speaker") != "respondent":
        return False
    said = str(transcript[turn].get("text", ""))
    return bool(said[quote["start"] : quote["end"]] == quote["text"] and quote["text"])
