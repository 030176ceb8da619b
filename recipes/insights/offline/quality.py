"""How much an interview is worth, 1 to 5, and why: length, focus, specifics and effort.

Low scores are for what a researcher would skip: a few words, placeholder answers
("idk", "fine", "asdf"), or talk about something other than the product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recipes.insights.concepts import tag
from recipes.insights.text import content_words, stem, words

LOW_EFFORT = re.compile(
    r"^\s*(idk|i don'?t know|dunno|no|nope|yes|yeah|ok(ay)?|fine|good|n/?a|none|nothing|not sure|"
    r"whatever|meh|sure|-+|\.+|\?+|lol|k)\s*[.!?]*\s*$",
    re.IGNORECASE,
)
SPECIFIC = re.compile(
    r"\d|\bbecause\b|\bfor example\b|\bfor instance\b|\bwhen (i|we)\b|\bevery time\b|\bsince\b|\bso that\b",
    re.IGNORECASE,
)
VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)


@dataclass(frozen=True)
class Quality:
    score: int
    reason: str


def _gibberish(word: str) -> bool:
    return len(word) > 3 and (not VOWEL.search(word) or re.search(r"(.)\1\1", word) is not None)


def asked_stems(context: str) -> set[str]:
    return {stem(w) for w in content_words(context)}


def on_topic(sentence: str, asked: set[str]) -> bool:
    """About the product: it names a known topic or picks up the words of what was asked."""
    return bool(tag(sentence)) or bool(asked & {stem(w) for w in content_words(sentence)})


def assess(answers: list[str], sentences: list[str], context: str, themes: int) -> Quality:
    """`answers` are the respondent's turns, `sentences` their sentences, `context` what was asked."""
    said = [w for text in answers for w in words(text)]
    if not said:
        return Quality(1, "the respondent said nothing")
    low = sum(bool(LOW_EFFORT.match(a)) or all(_gibberish(w) for w in words(a) or ["x"]) for a in answers)
    gibberish = sum(_gibberish(w) for w in said)
    if len(said) < 8 or low / len(answers) >= 0.6 or gibberish / len(said) > 0.3:
        return Quality(
            1, f"low effort: {len(said)} words, {low} of {len(answers)} answers empty or placeholder"
        )
    asked = asked_stems(context)
    relevant = sum(on_topic(s, asked) for s in sentences)
    focus = relevant / max(1, len(sentences))
    if focus < 0.35:
        return Quality(2, f"mostly off-topic: {relevant} of {len(sentences)} sentences are about the product")
    if len(said) < 12:
        return Quality(2, f"short: {len(said)} words in all")
    specifics = sum(bool(SPECIFIC.search(s)) for s in sentences)
    score = 3 + (len(said) >= 45 and focus >= 0.6) + (specifics >= 2 and themes >= 2)
    parts = [f"{len(said)} words", f"{relevant} of {len(sentences)} sentences on topic"]
    parts.append(f"{specifics} with specifics (reasons, numbers, examples)")
    return Quality(score, ", ".join(parts))
