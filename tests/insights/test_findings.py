"""Findings per recipe and period: thresholds, incremental updates, history, and one
finding-changed event per change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from connectors.anthropic.fake import AnthropicFake
from hub.db import db
from hub.models import Finding, FindingChange, FindingPoint, FindingWindow, InterviewResult
from recipes.insights.findings import Thresholds, count
from tests.conftest import close_app
from tests.insights.support import World, result
from tests.insights.test_claude import GOOD, claude_world

RULES = Thresholds(share=0.25, min_interviews=5, change=0.1)
DAY = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
counter = iter(range(1, 10_000))


def add(world: World, *labels: str, quality: int = 4, at: datetime = DAY, sentiment: float = -0.5) -> int:
    """A synthesised result of the world's recipe with these themes, counted as of `at`."""
    with world.app.app_context():
        row = InterviewResult(
            connection_id=world.connection_id,
            external_id=f"r{next(counter)}",
            recipe_id=world.recipe_id,
            campaign_id=world.campaign_id,
            completed_at=at,
            transcript=[{"speaker": "respondent", "text": "It is too expensive for us."}],
            answers=[],
            synthesis_status="done",
            themes=[{"label": label, "confidence": 0.8} for label in labels],
            sentiment_label="negative",
            sentiment_score=sentiment,
            quotes=[{"text": "too expensive for us", "turn": 0, "start": 6, "end": 26}],
            quality=quality,
            qualifying=quality >= 3,
        )
        db.session.add(row)
        db.session.flush()
        count(db.session, row, RULES, at)
        db.session.commit()
        return row.id


def findings(world: World, period: str = "all") -> dict[str, Finding]:
    with world.app.app_context():
        rows = db.session.scalars(sa.select(Finding).where(Finding.period == period))
        return {f.theme: f for f in rows}


def changes(world: World) -> list[tuple[str, str, str, float]]:
    with world.app.app_context():
        rows = db.session.scalars(sa.select(FindingChange).order_by(FindingChange.id))
        return [(c.period, c.theme, c.kind, c.share) for c in rows]


def test_a_theme_is_a_finding_at_25_percent_of_at_least_5_interviews(world: World) -> None:
    for _ in range(4):
        add(world, "Pricing")
    assert findings(world)["Pricing"].status == "emerging"  # 100%, but of 4
    assert changes(world) == []
    add(world, "Dark mode")
    found = findings(world)
    assert (found["Pricing"].status, found["Pricing"].share, found["Pricing"].interviews) == (
        "finding",
        0.8,
        5,
    )
    assert (found["Dark mode"].status, found["Dark mode"].share) == ("emerging", 0.2)
    add(world, "Onboarding")
    add(world, "Onboarding")
    add(world, "Dark mode", "Onboarding")
    found = findings(world)
    assert (found["Dark mode"].share, found["Dark mode"].status) == (0.25, "finding")  # 2 of 8
    assert (found["Onboarding"].share, found["Onboarding"].status) == (0.375, "finding")
    assert found["Pricing"].mentions == 4 and found["Pricing"].sentiment_sum == -2.0


def test_low_quality_and_unattributed_results_do_not_count(world: World) -> None:
    for _ in range(5):
        add(world, "Pricing", quality=2)
    assert findings(world) == {}
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FindingWindow)) == 0


def test_findings_update_incrementally_with_history_and_one_event_per_change(world: World) -> None:
    for day in range(5):
        add(world, "Pricing", at=DAY + timedelta(days=day))  # 5 of 5 on day 5: appeared
    add(world, "Support", at=DAY + timedelta(days=5))  # 5/6 = 0.83: moved by 0.17
    add(world, "Support", at=DAY + timedelta(days=5))  # 5/7 = 0.71: 0.12 from 0.83, moved
    add(world, "Support", at=DAY + timedelta(days=6))  # 5/8 = 0.625: 0.09, no event
    pricing_events = [c for c in changes(world) if c[1] == "Pricing" and c[0] == "all"]
    assert pricing_events == [
        ("all", "Pricing", "appeared", 1.0),
        ("all", "Pricing", "moved", 0.8333),
        ("all", "Pricing", "moved", 0.7143),
    ]
    pricing = findings(world)["Pricing"]
    with world.app.app_context():
        points = db.session.scalars(
            sa.select(FindingPoint).where(FindingPoint.finding_id == pricing.id).order_by(FindingPoint.day)
        ).all()
    assert [(p.share, p.interviews) for p in points] == [
        (1.0, 1), (1.0, 2), (1.0, 3), (1.0, 4), (1.0, 5), (0.7143, 7), (0.625, 8)
    ]  # fmt: skip
    assert pricing.first_seen_at == DAY and pricing.announced_share == 0.7143
    support = [c for c in changes(world) if c[1] == "Support" and c[0] == "all"]
    assert support == [("all", "Support", "appeared", 0.2857)]  # 2 of 7


def test_a_result_counts_once_even_when_counted_again(world: World) -> None:
    for _ in range(5):
        result_id = add(world, "Pricing")
    before = changes(world)
    with world.app.app_context():
        row = db.session.get(InterviewResult, result_id)
        assert row is not None
        assert count(db.session, row, RULES, DAY) == 0
        db.session.commit()
    assert findings(world)["Pricing"].interviews == 5 and changes(world) == before


def test_each_month_is_a_period_of_its_own_beside_all(world: World) -> None:
    for _ in range(5):
        add(world, "Pricing", at=DAY)
    add(world, "Support", at=DAY + timedelta(days=40))
    may, june = findings(world, "2026-05"), findings(world, "2026-06")
    assert (may["Pricing"].interviews, may["Pricing"].share) == (5, 1.0) and "Support" not in may
    assert (june["Support"].interviews, june["Support"].status) == (1, "emerging")
    assert findings(world)["Pricing"].interviews == 6


def test_findings_follow_results_through_the_hook(
    tmp_path: Path, database_url: str, fake: AnthropicFake
) -> None:
    """End to end: Claude's labels, merged by the codebook, become one finding with quotes."""
    world = claude_world(tmp_path, database_url, fake)
    try:
        labels = ["Too expensive", "Pricing too high", "Costs too much", "Way too pricey", "Expensive plans"]
        fake.answer_with(*[{**GOOD, "themes": [{"label": label, "confidence": 0.9}]} for label in labels])
        for _ in labels:
            world.send(result(world.invite()))
            world.drain()
        listed: Any = world.api.get("/api/v1/findings", query_string={"recipe_id": world.recipe_id}).json
        [finding] = listed["items"]
        assert (finding["theme"], finding["share"], finding["interviews"], finding["status"]) == (
            "Too expensive", 1.0, 5, "finding"
        )  # fmt: skip
        assert finding["changes"][0]["kind"] == "appeared" and len(finding["changes"]) == 1
        assert 1 <= len(finding["quotes"]) <= 3
        quote = finding["quotes"][0]
        shown = world.api.get(f"/api/v1/results/{quote['result_id']}").json
        assert shown["transcript"][quote["turn"]]["text"][quote["start"] : quote["end"]] == quote["text"]
    finally:
        close_app(world.app)


def test_an_app_without_results_lists_no_findings(app: Flask, api: Any) -> None:
    assert api.get("/api/v1/findings").json == {"items": [], "next_cursor": None}
