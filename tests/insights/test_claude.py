"""Synthesis by Claude through the official SDK, pointed at the Messages API fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.anthropic.fake import AnthropicFake
from hub.api.auth import create_token
from hub.db import db
from hub.models import SynthesisCall
from tests.conftest import close_app, make_app
from tests.fakes.support import received
from tests.insights.support import TRANSCRIPT, World, result

GOOD: dict[str, Any] = {
    "themes": [
        {"label": "Too expensive", "confidence": 0.9},
        {"label": "Confusing onboarding", "confidence": 0.7},
        {"label": "Responsive support", "confidence": 0.5},
    ],
    "sentiment": {"label": "mixed", "score": -0.3},
    "quotes": [
        {"text": "the price was way too high for a team of three people", "turn": 1},
        {"text": "the onboarding was confusing", "turn": 3},
    ],
    "quality": 4,
    "quality_reason": "Specific reasons with examples.",
}


def claude_world(tmp_path: Path, database_url: str, fake: AnthropicFake, **extra: Any) -> World:
    app = make_app(
        tmp_path,
        database_url,
        ANTHROPIC_API_KEY=fake.token,
        ANTHROPIC_BASE_URL=fake.base_url,
        JOURNEYHUB_SYNTHESIS_MODEL="claude-sonnet-4-6",
        **extra,
    )
    app.extensions["journeyhub.jobs"].retry_intervals = ()  # a failed synthesis stays failed for the test
    with app.app_context():
        token = create_token("tests")
        db.session.commit()
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return World(app, api)


@pytest.fixture
def world(tmp_path: Path, database_url: str, fake: AnthropicFake) -> Iterator[World]:
    built = claude_world(tmp_path, database_url, fake)
    yield built
    close_app(built.app)


def calls(world: World) -> list[SynthesisCall]:
    with world.app.app_context():
        return list(db.session.scalars(sa.select(SynthesisCall).order_by(SynthesisCall.id)))


def messages(fake: AnthropicFake) -> list[dict[str, Any]]:
    return [r for r in received(fake) if r["path"] == "/v1/messages"]


def test_a_normal_answer_is_stored_with_usage_cost_and_cached_instructions(
    world: World, fake: AnthropicFake
) -> None:
    fake.answer_with(GOOD, {**GOOD, "quotes": GOOD["quotes"][:1]})
    world.send(result(world.invite()))
    world.drain()
    world.send(result(world.invite()))
    world.drain()
    first, second = world.rows()
    assert first.synthesis_status == "done" and first.engine == "claude"
    assert first.model == "claude-sonnet-4-6"
    assert [t["label"] for t in first.themes] == [
        "Too expensive",
        "Confusing onboarding",
        "Responsive support",
    ]
    assert (first.sentiment_label, first.sentiment_score, first.quality) == ("mixed", -0.3, 4)
    said, quoted = TRANSCRIPT[1]["text"], GOOD["quotes"][0]["text"]
    start = said.index(quoted)
    assert first.quotes[0] == {"text": quoted, "turn": 1, "start": start, "end": start + len(quoted)}
    assert first.input_tokens > 0 and first.output_tokens > 0 and first.cost_usd > 0
    assert first.cache_creation_input_tokens > 0 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens > 0  # the instructions; the codebook grew, so it is written again
    sent = messages(fake)[0]["json"]
    assert sent["tool_choice"] == {"type": "tool", "name": "record_synthesis"}
    assert sent["tools"][0]["input_schema"]["required"] == [
        "themes", "sentiment", "quotes", "quality", "quality_reason"
    ]  # fmt: skip
    assert [block.get("cache_control") for block in sent["system"]] == [{"type": "ephemeral"}] * 2
    assert "Too expensive" in messages(fake)[1]["json"]["system"][1]["text"]  # the codebook grew
    assert [c.outcome for c in calls(world)] == ["stored", "stored"]


def test_overloaded_then_success_is_retried_by_the_sdk(world: World, fake: AnthropicFake) -> None:
    fake.inject_fault(529, times=1, retry_after=1)
    fake.answer_with(GOOD)
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert row.synthesis_status == "done"
    assert len(messages(fake)) == 2
    assert [c.outcome for c in calls(world)] == ["stored"]


def test_a_malformed_tool_result_is_rejected_retried_and_never_stored(
    world: World, fake: AnthropicFake
) -> None:
    fake.answer_with(
        {"themes": "pricing", "quality": 9}, {**GOOD, "sentiment": {"label": "angry", "score": 3}}, GOOD
    )
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert row.synthesis_status == "done" and row.sentiment_label == "mixed" and row.quality == 4
    recorded = calls(world)
    assert [c.outcome for c in recorded] == ["rejected", "rejected", "stored"]
    assert "themes" in str(recorded[0].note) and "sentiment" in str(recorded[1].note)
    assert row.cost_usd == pytest.approx(sum(c.cost_usd for c in recorded))


def test_answers_malformed_every_time_store_nothing(world: World, fake: AnthropicFake) -> None:
    fake.answer_with(*[{"themes": []}] * 3)
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert row.synthesis_status == "pending" and row.themes == [] and row.quality is None
    assert "unusable 3 times" in str(row.synthesis_note)
    assert [c.outcome for c in calls(world)] == ["rejected"] * 3


def test_a_quote_not_in_the_transcript_is_rejected(world: World, fake: AnthropicFake) -> None:
    invented = {"text": "I would pay double for this", "turn": 1}
    interviewer = {"text": "What made you stop after the trial?", "turn": 0}
    fake.answer_with({**GOOD, "quotes": [invented, interviewer, GOOD["quotes"][1]]})
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert [q["text"] for q in row.quotes] == ["the onboarding was confusing"]
    assert "I would pay double" in str(row.synthesis_note)


def test_only_invented_quotes_is_an_unusable_answer_asked_again(world: World, fake: AnthropicFake) -> None:
    fake.answer_with({**GOOD, "quotes": [{"text": "We loved every minute", "turn": 1}]}, GOOD)
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert len(row.quotes) == 2
    assert [c.outcome for c in calls(world)] == ["rejected", "stored"]


def test_the_monthly_spend_limit_pauses_synthesis_and_says_so(
    tmp_path: Path, database_url: str, fake: AnthropicFake
) -> None:
    world = claude_world(tmp_path, database_url, fake, JOURNEYHUB_SYNTHESIS_MONTHLY_LIMIT_USD="0.000001")
    try:
        fake.answer_with(GOOD, GOOD)
        world.send(result(world.invite()))
        world.drain()
        world.send(result(world.invite()))
        world.drain()
        first, second = world.rows()
        assert first.synthesis_status == "done"
        assert second.synthesis_status == "paused" and "JOURNEYHUB_SYNTHESIS_MONTHLY_LIMIT_USD" in str(
            second.synthesis_note
        )
        assert len(messages(fake)) == 1
        status = world.api.get("/api/v1/synthesis").json
        assert status["paused"] is True and "reached the limit" in status["reason"]
        assert status["engine"] == "claude" and status["results"] == {"done": 1, "paused": 1}
        listed = world.api.get("/api/v1/results", query_string={"status": "paused"}).json["items"]
        assert [r["synthesis"]["status"] for r in listed] == ["paused"]
    finally:
        close_app(world.app)


def test_anthropics_own_spend_limit_pauses_without_retrying(world: World, fake: AnthropicFake) -> None:
    fake.exhaust_spend()
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert row.synthesis_status == "paused" and "spend limit" in str(row.synthesis_note)
    assert len(messages(fake)) == 1


def test_a_refused_key_fails_for_good(world: World, fake: AnthropicFake) -> None:
    fake.token = "sk-ant-another"
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert row.synthesis_status == "failed" and "ANTHROPIC_API_KEY was refused" in str(row.synthesis_note)
