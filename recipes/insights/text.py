"""Words, sentences and stems: the small amount of language handling synthesis needs.

Sentences are kept as character spans of their turn, so anything built from them (quotes
above all) points at the respondent's exact words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)?")
SENTENCE = re.compile(r"[^.!?;\n]+[.!?]*")


def wordlist(text: str) -> frozenset[str]:
    """Word lists kept as readable text in the source."""
    return frozenset(text.split())


CLAUSE_BREAK = re.compile(r",?\s+\b(?P<conj>but|although|though|however|whereas)\b\s+", re.IGNORECASE)
STOPWORDS = wordlist(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom why
    will with would you your yours yourself yourselves also really much lot lots thing things kind sort
    bit quite pretty get got getting gets go going goes went make made way like just well yeah yes ok
    okay um uh oh guess think thought maybe actually probably honestly basically literally something
    anything everything nothing one ones us im i'm it's its don't didn't doesn't isn't wasn't can't
    cannot won't wouldn't couldn't i've i'd we're they're that's there's you're ive dont didnt doesnt
    isnt wasnt cant wont even still though however although whereas because since"""
)
NEGATIONS = wordlist(
    "not no never nothing nobody none neither nor without hardly barely n't don't didn't doesn't isn't "
    "wasn't aren't weren't can't cannot won't wouldn't couldn't shouldn't dont didnt doesnt isnt wasnt "
    "cant wont"
)


@dataclass(frozen=True)
class Span:
    """A stretch of one turn: `text` is exactly `turn_text[start:end]`."""

    turn: int
    start: int
    end: int
    text: str


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def stem(word: str) -> str:
    """A light suffix stripper: enough that "prices", "priced" and "pricing" meet at "pric"."""
    word = word.lower().strip("'-")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s", "e", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("i" if suffix in ("ies", "ied") else "")
    return word


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]


def sentences(turn: int, text: str) -> Iterator[Span]:
    """The turn's sentences, split again at "but"-like turns of thought, trimmed, as spans."""
    for match in SENTENCE.finditer(text):
        start = match.start()
        for part in _clauses(match.group()):
            begin = start + part[0]
            piece = text[begin : start + part[1]]
            stripped = piece.strip(" \t\r\n,-–—\"'")
            if len(words(stripped)) < 2:
                continue
            offset = begin + piece.index(stripped)
            yield Span(turn, offset, offset + len(stripped), stripped)


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of each clause; a clause after a break starts at its "but"."""
    cuts, begin = [], 0
    for match in CLAUSE_BREAK.finditer(sentence):
        cuts.append((begin, match.start()))
        begin = match.start("conj")
    cuts.append((begin, len(sentence)))
    return cuts
