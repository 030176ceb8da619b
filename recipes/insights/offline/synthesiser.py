"""The offline synthesiser: deterministic, free, and in the same shape as Claude's answer.

Themes come first from the topics the respondent's sentences name (recipes.insights.concepts),
then from clusters of key phrases for what no topic covers, three to seven when the
respondent said that much. Quotes are whole sentences of respondent turns that carry the
strongest themes, kept as spans, so they are verbatim by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from recipes.insights.concepts import by_key, tag
from recipes.insights.offline.phrases import clusters
from recipes.insights.offline.quality import asked_stems, assess, on_topic
from recipes.insights.offline.sentiment import sentiment
from recipes.insights.quotes import respondent_turns
from recipes.insights.synthesis import MAX_QUOTES, MAX_THEMES, MIN_THEMES, Quote, Sentiment, Synthesis, Theme
from recipes.insights.text import Span, sentences, words

MIN_QUOTE_WORDS, MAX_QUOTE_WORDS = 4, 45


def synthesise(
    transcript: Sequence[Mapping[str, Any]],
    answers: Sequence[Mapping[str, Any]] = (),
    questions: Sequence[Mapping[str, Any]] = (),
) -> Synthesis:
    turns = respondent_turns(transcript)
    spans = [span for i in turns for span in sentences(i, str(transcript[i].get("text", "")))]
    written = [str(a["value"]) for a in answers if a.get("type") == "open_ended" and a.get("value")]
    texts = [s.text for s in spans] + [s for text in written for s in _plain_sentences(text)]
    topics = _topics(texts)
    themes = [Theme(label=by_key()[key].label, confidence=conf) for key, conf in topics]
    if len(themes) < MIN_THEMES:
        themes += _phrase_themes(texts, topics, MIN_THEMES - len(themes))
    themes = themes[:MAX_THEMES]
    context = " ".join(
        [str(t.get("text", "")) for t in transcript if t.get("speaker") == "interviewer"]
        + [str(q.get("text", "")) for q in questions]
    )
    asked = asked_stems(context)
    mood = sentiment([t for t in texts if on_topic(t, asked)])  # about the product, not the weekend
    replies = [str(transcript[i].get("text", "")) for i in turns] + written
    quality = assess(replies, texts, context, len(topics))
    return Synthesis(
        themes=themes,
        sentiment=Sentiment(label=mood.label, score=mood.score),
        quotes=_quotes(spans, [key for key, _ in topics]),
        quality=quality.score,
        quality_reason=quality.reason,
    )


def _plain_sentences(text: str) -> list[str]:
    return [span.text for span in sentences(0, text)]


def _topics(texts: list[str]) -> list[tuple[str, float]]:
    """Topics by how many sentences name them (then how strongly), confidence relative to the top."""
    counts: dict[str, float] = defaultdict(float)
    for text in texts:
        for key, hits in tag(text).items():
            counts[key] += 1 + 0.25 * (hits - 1)
    if not counts:
        return []
    top = max(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(key, round(min(1.0, 0.45 + 0.5 * value / top), 2)) for key, value in ranked]


def _phrase_themes(texts: list[str], topics: list[tuple[str, float]], wanted: int) -> list[Theme]:
    """Clusters of key phrases about something the topics found do not already name, low confidence."""
    named = set().union(*(by_key()[key].stems for key, _ in topics))
    found: list[Theme] = []
    for cluster in clusters(texts):
        if len(found) == wanted:
            break
        if len(cluster.label) >= 4 and not cluster.stems & named and not tag(cluster.label):
            confidence = 0.3 if len(cluster.sentences) > 1 else 0.2
            found.append(Theme(label=cluster.label.capitalize(), confidence=confidence))
    return found


def _quotes(spans: list[Span], topic_order: list[str]) -> list[Quote]:
    """The sentence that names each leading topic best, else the fullest sentences said."""
    usable = [s for s in spans if MIN_QUOTE_WORDS <= len(words(s.text)) <= MAX_QUOTE_WORDS]
    chosen: list[Span] = []
    for key in topic_order:
        best = max(
            (s for s in usable if key in tag(s.text) and s not in chosen),
            key=lambda s: (tag(s.text)[key], len(words(s.text))),
            default=None,
        )
        if best is not None:
            chosen.append(best)
        if len(chosen) == MAX_QUOTES:
            break
    if not chosen and usable:
        chosen.append(max(usable, key=lambda s: len(words(s.text))))
    return [Quote(text=s.text, turn=s.turn, start=s.start, end=s.end) for s in chosen]
