"""The offline answer cites what the labelled questions need: recall of the expected interviews >= 0.8."""

from __future__ import annotations

from typing import Any

from tests.ask.support import QUESTIONS, labelled
from tests.insights.support import World

MIN_RECALL = 0.8


def test_the_offline_answers_cite_the_expected_interviews(world: World) -> None:
    ids = labelled(world.app, world.connection_id, world.recipe_id)
    expected = found = 0
    missed: list[tuple[str, str]] = []
    for item in QUESTIONS:
        answer = world.api.post("/api/v1/insights/ask", json={"question": item["question"]})
        assert answer.status_code == 200, answer.json
        body: dict[str, Any] = answer.json
        cited = {c["result_id"] for c in body["citations"]}
        for label in item["cite"]:
            expected += 1
            if ids[label] in cited:
                found += 1
            else:
                missed.append((item["question"], label))
    assert len(QUESTIONS) == 30
    recall = found / expected
    assert recall >= MIN_RECALL, (recall, missed)
