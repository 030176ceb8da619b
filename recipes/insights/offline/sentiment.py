"""A small sentiment lexicon with negation and intensity, tuned for product feedback.

Each sentence scores the sum of its words' weights, a negation within three words before a
word flipping it ("not easy"); the interview's score is the balance of positive and negative
weight in -1..1, and "mixed" when both sides carry real weight.
"""

from __future__ import annotations

from dataclasses import dataclass

from recipes.insights.text import NEGATIONS, wordlist, words

POSITIVE = {
    w: 1.0
    for w in wordlist(
        """good great love loved loving like liked nice helpful easy easier simple smooth fast quick
    intuitive clear useful handy happy glad pleased enjoy enjoyed fantastic excellent amazing awesome
    brilliant perfect reliable solid friendly responsive impressed impressive worth recommend
    recommended fair reasonable clean polished powerful flexible best works saved saves
    improve improved improvement delightful painless seamless effortless"""
    )
}
NEGATIVE = {
    w: 1.0
    for w in wordlist(
        """bad poor hate hated dislike annoying annoyed frustrating frustrated frustration confusing
    confused slow sluggish expensive overpriced pricey costly hard difficult painful broken buggy
    crash crashes crashed crashing error errors fail failed fails failing lost losing missing lacks
    lacking clunky cluttered ugly terrible awful horrible useless unreliable unstable worse worst
    disappointed disappointing disappointment complicated complex tedious cumbersome unclear
    problem problems issue issues bug bugs glitch glitches laggy spam noisy steep outage outages
    downtime never nobody ignored unhappy angry upset waste wasted cancel cancelled canceled
    churn leaving left switched stuck wrong late unusable awkward limited shallow outdated tiny
        brutal rough surprise nasty stopped forever ages lags breaks fails drops duplicates dead-ends
        can't cannot couldn't doesn't didn't won't shouldn't isn't wasn't"""
    )
}
STRONG = {
    "love",
    "hate",
    "terrible",
    "awful",
    "horrible",
    "amazing",
    "fantastic",
    "excellent",
    "worst",
    "best",
}
INTENSIFIERS = {"very", "really", "extremely", "super", "so", "incredibly", "way", "too", "totally"}
for _word in STRONG:
    (POSITIVE if _word in POSITIVE else NEGATIVE)[_word] = 2.0
NEGATION_REACH = 3


@dataclass(frozen=True)
class Sentiment:
    label: str
    score: float


def weigh(text: str) -> tuple[float, float]:
    """(positive, negative) weight of `text`."""
    tokens = words(text)
    positive = negative = 0.0
    for index, token in enumerate(tokens):
        weight = POSITIVE.get(token, 0.0) - NEGATIVE.get(token, 0.0)
        if not weight:
            continue
        before = tokens[max(0, index - NEGATION_REACH) : index]
        if any(t in NEGATIONS or t.endswith("n't") for t in before) and token not in {"never", "nobody"}:
            weight = -weight * 0.8
        if before and before[-1] in INTENSIFIERS:
            weight *= 1.5
        if weight > 0:
            positive += weight
        else:
            negative -= weight
    return positive, negative


def sentiment(texts: list[str]) -> Sentiment:
    positive = negative = 0.0
    for text in texts:
        p, n = weigh(text)
        positive, negative = positive + p, negative + n
    total = positive + negative
    if total < 1.0:
        return Sentiment("neutral", 0.0)
    score = round((positive - negative) / total, 2)
    if min(positive, negative) >= 1.0 and min(positive, negative) / total >= 0.3:
        return Sentiment("mixed", score)
    if abs(score) < 0.2:
        return Sentiment("neutral", score)
    return Sentiment("positive" if score > 0 else "negative", score)
