"""Synthesis quality on the labelled interviews of tests/data/interviews.json.

Runs the offline synthesiser over every interview, and Claude too when ANTHROPIC_API_KEY is
set (ANTHROPIC_BASE_URL and JOURNEYHUB_SYNTHESIS_MODEL are honoured), each with a codebook that
grows as it goes, as a campaign's does. Prints precision and recall per theme, how often an
interview's expected theme was found, sentiment agreement, quality within its bounds and
quotes that are not verbatim (which must be none); last, one JSON line per the CONTRACT.
The offline run is the baseline the Claude figures are set against.

    python bench/synthesis_eval.py [--quick] [--offline-only]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recipes.insights import claude, codebook  # noqa: E402
from recipes.insights.offline.synthesiser import synthesise as offline  # noqa: E402
from recipes.insights.quotes import is_exact  # noqa: E402
from recipes.insights.synthesis import Sentiment, Synthesis  # noqa: E402

DATA = ROOT / "tests" / "data" / "interviews.json"
Synthesiser = Callable[[list[dict[str, Any]], list[str]], Synthesis]


@dataclass
class Score:
    interviews: int = 0
    with_themes: int = 0
    hits: int = 0
    sentiment_agrees: int = 0
    quality_in_bounds: int = 0
    quotes: int = 0
    quotes_not_verbatim: int = 0
    seconds: float = 0.0
    true_pos: Counter[str] = field(default_factory=Counter)
    false_pos: Counter[str] = field(default_factory=Counter)
    false_neg: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / self.with_themes if self.with_themes else 0.0

    def per_theme(self, theme: str) -> tuple[float, float]:
        tp, fp, fn = self.true_pos[theme], self.false_pos[theme], self.false_neg[theme]
        return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)

    def micro(self) -> tuple[float, float]:
        tp, fp, fn = (sum(c.values()) for c in (self.true_pos, self.false_pos, self.false_neg))
        return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)


def load() -> dict[str, Any]:
    return json.loads(DATA.read_text())  # type: ignore[no-any-return]


def matches(label: str, keywords: list[str]) -> bool:
    """A label names a theme when one of its words starts with a keyword (or it holds a phrase)."""
    text = label.lower()
    words = [w.strip(".,:;()'\"-") for w in text.replace("-", " ").split()]
    return any((k in text) if " " in k else any(w.startswith(k) for w in words) for k in keywords)


def themes_of(synthesis: Synthesis, themes: dict[str, Any]) -> set[str]:
    return {
        key for theme in synthesis.themes for key, t in themes.items() if matches(theme.label, t["keywords"])
    }


def evaluate(synthesise: Synthesiser, data: dict[str, Any], limit: int | None = None) -> Score:
    score, known = Score(), []
    for interview in data["interviews"][:limit]:
        transcript = interview["transcript"]
        started = time.perf_counter()
        result = synthesise(transcript, [entry.label for entry in known])
        score.seconds += time.perf_counter() - started
        for theme in result.themes:
            if codebook.match(theme.label, known) is None:
                known.append(codebook.Entry(theme.label, codebook.signature(theme.label)))
        expected, found = set(interview["expected_themes"]), themes_of(result, data["themes"])
        score.interviews += 1
        if expected:
            score.with_themes += 1
            score.hits += bool(expected & found)
            if not expected & found:
                score.misses.append(interview["id"])
        for key in data["themes"]:
            score.true_pos[key] += key in expected and key in found
            score.false_pos[key] += key not in expected and key in found
            score.false_neg[key] += key in expected and key not in found
        score.sentiment_agrees += result.sentiment.label == interview["sentiment"]
        bounds = interview["quality"]
        score.quality_in_bounds += bounds["min"] <= result.quality <= bounds["max"]
        score.quotes += len(result.quotes)
        score.quotes_not_verbatim += sum(not is_exact(q.model_dump(), transcript) for q in result.quotes)
    return score


def offline_synthesiser(transcript: list[dict[str, Any]], _codebook: list[str]) -> Synthesis:
    return offline(transcript)


def claude_synthesiser() -> Synthesiser | None:
    key = os.environ.get("ANTHROPIC_API_KEY")
    if not key:
        return None
    settings = claude.Settings(
        api_key=key,
        model=os.environ.get("JOURNEYHUB_SYNTHESIS_MODEL", "claude-sonnet-4-6"),
        base_url=os.environ.get("ANTHROPIC_BASE_URL") or None,
    )

    def run(transcript: list[dict[str, Any]], known: list[str]) -> Synthesis:
        """A failed synthesis scores as one that found nothing, and says why."""
        try:
            synthesis, _calls, _notes = claude.synthesise(settings, transcript, [], [], known)
        except claude.Failure as failure:
            print(f"  synthesis failed: {failure}", file=sys.stderr)
            return Synthesis(
                themes=[],
                sentiment=Sentiment(label="neutral", score=0),
                quotes=[],
                quality=1,
                quality_reason=f"failed: {failure}",
            )
        return synthesis

    return run


def report(name: str, score: Score, data: dict[str, Any]) -> dict[str, Any]:
    print(f"\n{name}: {score.interviews} interviews in {score.seconds:.2f} s")
    print(f"{'theme':<18} {'precision':>9} {'recall':>7} {'support':>8}")
    for key in data["themes"]:
        precision, recall = score.per_theme(key)
        support = score.true_pos[key] + score.false_neg[key]
        print(f"{key:<18} {precision:9.2f} {recall:7.2f} {support:8d}")
    precision, recall = score.micro()
    print(f"{'(all, micro)':<18} {precision:9.2f} {recall:7.2f}")
    print(
        f"expected theme found: {score.hits}/{score.with_themes} ({score.hit_rate:.0%}); missed {score.misses}"
    )
    print(f"sentiment agrees: {score.sentiment_agrees}/{score.interviews}")
    print(f"quality within bounds: {score.quality_in_bounds}/{score.interviews}")
    print(f"quotes: {score.quotes}, not verbatim: {score.quotes_not_verbatim}")
    return {
        "hit_rate": round(score.hit_rate, 3),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "sentiment": round(score.sentiment_agrees / score.interviews, 3),
        "quality_in_bounds": round(score.quality_in_bounds / score.interviews, 3),
        "quotes_not_verbatim": score.quotes_not_verbatim,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the first 20 interviews only")
    parser.add_argument("--offline-only", action="store_true", help="skip Claude even with a key")
    args = parser.parse_args()
    data = load()
    limit = 20 if args.quick else None
    figures: dict[str, Any] = {"bench": "synthesis_eval", "interviews": len(data["interviews"][:limit])}
    figures["offline"] = report("offline", evaluate(offline_synthesiser, data, limit), data)
    online = None if args.offline_only else claude_synthesiser()
    if online is not None:
        figures["claude"] = report("claude", evaluate(online, data, limit), data)
        figures["vs_baseline"] = round(
            figures["claude"]["recall"] / max(figures["offline"]["recall"], 1e-9), 3
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
