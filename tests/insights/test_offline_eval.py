"""The offline synthesiser on the labelled set (tests/data/interviews.json), scored by the same
harness as `python bench/synthesis_eval.py`."""

from __future__ import annotations

from collections import Counter

from bench.synthesis_eval import evaluate, load, offline_synthesiser
from recipes.insights.offline.synthesiser import synthesise
from recipes.insights.quotes import is_exact


def test_the_labelled_set_is_big_and_varied_enough() -> None:
    data = load()
    interviews = data["interviews"]
    assert len(interviews) >= 60
    per_theme = Counter(t for i in interviews for t in i["expected_themes"])
    assert set(per_theme) == set(data["themes"]) and min(per_theme.values()) >= 3
    low = [i for i in interviews if i["quality"]["max"] < 3]
    assert len(low) >= 5 and all(not i["expected_themes"] for i in low)
    texts = [t["text"] for i in interviews for t in i["transcript"] if t["speaker"] == "respondent"]
    assert len(set(texts)) == len(texts)


def test_the_offline_synthesiser_finds_the_expected_theme_in_80_percent() -> None:
    score = evaluate(offline_synthesiser, load())
    assert score.hit_rate >= 0.8, score.misses
    assert score.quotes > 0 and score.quotes_not_verbatim == 0
    precision, recall = score.micro()
    assert precision >= 0.6 and recall >= 0.8


def test_off_topic_and_low_effort_interviews_score_low() -> None:
    for interview in load()["interviews"]:
        synthesis = synthesise(interview["transcript"])
        bounds = interview["quality"]
        assert bounds["min"] <= synthesis.quality <= bounds["max"], (
            interview["id"],
            synthesis.quality_reason,
        )
        assert all(is_exact(q.model_dump(), interview["transcript"]) for q in synthesis.quotes)
