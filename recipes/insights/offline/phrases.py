"""Key phrases (runs of content words between stopwords, scored RAKE-style) and their clusters.

What the topic list does not know still becomes a theme: "dark mode" said three ways is one
cluster, labelled by its most telling phrase.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from recipes.insights.offline.sentiment import NEGATIVE, POSITIVE
from recipes.insights.text import STOPWORDS, stem, wordlist

EVALUATIVE = frozenset(POSITIVE) | frozenset(NEGATIVE)
RUN_BREAK = re.compile(r"[^A-Za-z0-9'’ -]+")
GENERIC = wordlist(
    """product tool app software platform company time times day days week weeks month months year
    years people person everyone someone team's stuff use used using work working need needed want
    wanted try tried trying feel felt look looked see seen start started nice good great bad fine
    lot better worse first last next new old same different little big small sure able almost right
    never touch less every whole half long longer took take takes taking told asked said come came
    back stop stopped keep kept put end ended ago one two three four five six seven eight nine ten
    justify setting opening call"""
)


@dataclass
class Cluster:
    label: str
    stems: set[str]
    score: float
    sentences: set[int]


def candidates(sentence: str) -> list[str]:
    """Runs of one to three content words, in the sentence's own spelling."""
    found: list[str] = []
    for chunk in RUN_BREAK.split(sentence):
        run: list[str] = []
        for token in chunk.split():
            word = token.strip("'’-").lower()
            if not word or word in STOPWORDS or word.isdigit() or len(word) < 3:
                _flush(run, found)
                run = []
            else:
                run.append(word)
        _flush(run, found)
    return found


def _flush(run: list[str], found: list[str]) -> None:
    """Keeps a run that names a thing: not only generic, evaluative or adverb words."""
    run = [w for w in run if w not in GENERIC and w not in EVALUATIVE and "'" not in w and "’" not in w]
    if run and len(run) <= 3 and any(len(w) >= 4 and not w.endswith("ly") for w in run):
        found.append(" ".join(run))


def clusters(sentences: list[str]) -> list[Cluster]:
    """Phrases sharing a stem join one cluster; a cluster's score is its words' RAKE degree."""
    frequency: dict[str, int] = defaultdict(int)
    degree: dict[str, int] = defaultdict(int)
    phrases: list[tuple[str, int]] = []
    for index, sentence in enumerate(sentences):
        for phrase in candidates(sentence):
            words = phrase.split()
            for word in words:
                frequency[word] += 1
                degree[word] += len(words)
            phrases.append((phrase, index))
    built: list[Cluster] = []
    for phrase, index in sorted(phrases, key=lambda p: -len(p[0].split())):
        stems = {stem(w) for w in phrase.split() if w not in GENERIC}
        score = sum(degree[w] / frequency[w] for w in phrase.split())
        home = next((c for c in built if c.stems & stems), None)
        if home is None:
            built.append(Cluster(phrase, stems, score, {index}))
            continue
        home.stems |= stems
        home.sentences.add(index)
        home.score += score
    return sorted(built, key=lambda c: (-len(c.sentences), -len(c.label.split()), -c.score, c.label))
