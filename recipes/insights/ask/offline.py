"""The answer without a model: the themes that bear on the question, with their shares, and the
respondents' best-matching words for each, so the feature works with no account.

A theme bears on the question as much as the retrieved turns of the interviews that mention it
match it (their scores summed), plus a bonus when the question names the theme's own words;
with nothing retrieved, the most mentioned themes are the answer. Each theme is shown with up
to three quotes from different interviews, then the best other matches, each quote the
sentence of its turn that says most of the question's words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from recipes.insights.ask.cite import Citation, best_sentence, stems
from recipes.insights.ask.search import Passage

THEMES_SHOWN = 3
QUOTES_PER_THEME = 3
OTHER_QUOTES = 4
NAMED_BONUS = 2.0
"""How much a theme whose label the question names outweighs the best-matching turn."""


@dataclass(frozen=True)
class Theme:
    label: str
    interviews: int
    share: float


@dataclass(frozen=True)
class Draft:
    """Themes chosen and the citations proposed for them (checked by the caller before answering)."""

    themes: list[Theme]
    quoted: dict[str, list[Citation]]
    others: list[Citation]


def choose(
    words: list[str],
    found: list[Passage],
    themes_of: dict[int, list[str]],
    counts: list[tuple[str, int]],
    considered: int,
) -> Draft:
    wanted = stems(words)
    top = max((p.score for p in found), default=0.0) or 1.0
    relevance: dict[str, float] = defaultdict(float)
    for passage in found:
        for label in set(themes_of.get(passage.result_id, [])):
            relevance[label] += passage.score / top
    for label, _ in counts:
        if stems(label.lower().split()) & wanted:
            relevance[label] += NAMED_BONUS
    ranked = sorted(counts, key=lambda c: (-relevance.get(c[0], 0.0), -c[1], c[0]))
    if found:
        ranked = [c for c in ranked if relevance.get(c[0], 0.0) > 0] or ranked
    themes = [
        Theme(label, n, round(n / considered, 3) if considered else 0.0) for label, n in ranked[:THEMES_SHOWN]
    ]
    quoted: dict[str, list[Citation]] = {}
    used: set[int] = set()
    for theme in themes:
        picks = [
            p for p in found if theme.label in themes_of.get(p.result_id, []) and p.result_id not in used
        ][:QUOTES_PER_THEME]
        used |= {p.result_id for p in picks}
        quoted[theme.label] = [best_sentence(p.result_id, p.turn, p.text, wanted) for p in picks]
    others = [best_sentence(p.result_id, p.turn, p.text, wanted) for p in _distinct(found, used)][
        :OTHER_QUOTES
    ]
    return Draft(themes, quoted, others)


def _distinct(found: list[Passage], used: set[int]) -> list[Passage]:
    seen = set(used)
    out = []
    for passage in found:
        if passage.result_id not in seen:
            seen.add(passage.result_id)
            out.append(passage)
    return out


def write(question: str, draft: Draft, kept: list[Citation], considered: int) -> str:
    """The answer's text; `[n]` refers to the n-th kept citation, and a dropped one is never named."""
    number = {c: i + 1 for i, c in enumerate(kept)}
    if considered == 0:
        return "No interviews match these filters yet, so there is nothing to answer from."
    if not draft.themes and not kept:
        return f"None of the {considered} interviews considered speaks to this question."
    lines = [f"From {considered} interviews considered, what bears most on “{question.strip()[:200]}”:"]
    for theme in draft.themes:
        marks = "".join(f" [{number[c]}]" for c in draft.quoted.get(theme.label, []) if c in number)
        lines.append(f"- {theme.label}: {theme.share:.0%} of interviews ({theme.interviews}).{marks}")
    extra = [c for c in draft.others if c in number]
    if extra:
        lines.append("Other matching words: " + " ".join(f"[{number[c]}]" for c in extra))
    return "\n".join(lines)
