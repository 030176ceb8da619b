"""Answers by Claude through the official SDK, pointed at the Messages API fake: claims built
only from the passages given, citations checked, instructions cached, the spend limit honoured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.anthropic.fake import AnthropicFake
from hub.db import db
from hub.models import SynthesisCall
from recipes.insights.ask.claude import TOOL_NAME
from tests.ask.support import labelled
from tests.conftest import close_app
from tests.fakes.support import received
from tests.insights.support import World
from tests.insights.test_claude import claude_world

QUESTION = {"question": "Why do trials not convert because of the price?"}
WORDS = "Honestly it was the price"
"""In p01's first respondent turn; Claude's quote differs in case, and the citation is the turn's own text."""


@pytest.fixture
def fake() -> Iterator[AnthropicFake]:
    server = AnthropicFake().serve()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path: Path, database_url: str, fake: AnthropicFake) -> Iterator[World]:
    built = claude_world(tmp_path, database_url, fake)
    yield built
    close_app(built.app)


def sent(fake: AnthropicFake) -> list[dict[str, Any]]:
    return [r["json"] for r in received(fake) if r["path"] == "/v1/messages"]


def passage_ids(request: dict[str, Any], words: str) -> str:
    """The id the request gave the passage holding `words`."""
    text = request["messages"][0]["content"]
    line = next(line for line in text.splitlines() if words in line)
    return line.split("]")[0].lstrip("[")


def warmed_up(world: World, fake: AnthropicFake) -> str:
    """Asks once (the fake's own answer cites nothing it was given: answered offline); p01's passage id."""
    first = world.api.post("/api/v1/insights/ask", json=QUESTION)
    assert first.status_code == 200 and first.json["engine"] == "offline"
    return passage_ids(sent(fake)[0], WORDS)


def price_was_the_problem(passage: str) -> dict[str, Any]:
    claim = {"text": "Price was the problem.", "citations": [{"passage": passage, "quote": WORDS.lower()}]}
    return {"claims": [claim]}


def test_claims_cite_the_passages_and_the_instructions_are_cached(world: World, fake: AnthropicFake) -> None:
    ids = labelled(world.app, world.connection_id, world.recipe_id)
    p01 = warmed_up(world, fake)
    request = sent(fake)[0]
    assert request["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert request["system"][0]["cache_control"] == {"type": "ephemeral"}
    fake.answer_with(
        {
            "claims": [
                *price_was_the_problem(p01)["claims"],
                {
                    "text": "An invented claim.",
                    "citations": [{"passage": p01, "quote": "we loved the price"}],
                },
                {"text": "Uncited.", "citations": []},
            ]
        }
    )
    second = world.api.post("/api/v1/insights/ask", json=QUESTION)
    body = second.json
    assert second.status_code == 200 and body["engine"] == "claude", body
    assert body["answer"] == "Price was the problem. [1]"
    [citation] = body["citations"]
    assert citation["result_id"] == ids["p01"] and citation["quote"] == WORDS
    turn = world.api.get(f"/api/v1/results/{ids['p01']}").json["transcript"][citation["turn"]]["text"]
    assert turn[citation["start"] : citation["end"]] == WORDS
    assert body["themes"][0]["label"] == "Pricing and cost"
    with world.app.app_context():
        calls = list(db.session.scalars(sa.select(SynthesisCall).order_by(SynthesisCall.id)))
    assert [c.note for c in calls][1:] == ["ask"] and all(c.cost_usd > 0 for c in calls)
    assert calls[1].cache_read_input_tokens > 0  # the instructions, cached by the first call


def test_a_citation_of_a_passage_not_given_is_dropped(world: World, fake: AnthropicFake) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    fake.answer_with(
        {
            "claims": [
                {"text": "Made up.", "citations": [{"passage": "p999", "quote": "the cost was the problem"}]}
            ]
        }
    )
    body = world.api.post("/api/v1/insights/ask", json=QUESTION).json
    assert body["engine"] == "offline"
    assert body["note"] == "answered offline: none of Claude's claims had a citation that held"
    assert "Made up." not in body["answer"] and body["citations"]  # the offline answer's own citations


def test_overloaded_then_success(world: World, fake: AnthropicFake) -> None:
    labelled(world.app, world.connection_id, world.recipe_id)
    passage = warmed_up(world, fake)
    fake.inject_fault(529, times=1, retry_after=1)
    fake.answer_with(price_was_the_problem(passage))
    body = world.api.post("/api/v1/insights/ask", json=QUESTION).json
    assert body["engine"] == "claude" and body["answer"] == "Price was the problem. [1]", body
    assert len(sent(fake)) == 3  # the warm-up, the 529 and its retry


def test_the_monthly_spend_limit_answers_offline_without_calling(
    tmp_path: Path, database_url: str, fake: AnthropicFake
) -> None:
    world = claude_world(tmp_path, database_url, fake, JOURNEYHUB_SYNTHESIS_MONTHLY_LIMIT_USD="0")
    try:
        labelled(world.app, world.connection_id, world.recipe_id)
        body = world.api.post("/api/v1/insights/ask", json=QUESTION).json
        assert body["engine"] == "offline" and "limit" in body["note"]
        assert sent(fake) == []
    finally:
        close_app(world.app)
