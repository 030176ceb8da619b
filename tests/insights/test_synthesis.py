"""What synthesis stores, whichever engine: codebook labels that merge synonyms, verbatim quotes
with their turn and span, a quality score and the threshold that keeps a result out of findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from hub.db import db
from hub.models import CodebookTheme, InterviewResult
from recipes.insights import codebook
from recipes.insights.jobs import synthesise_pending
from recipes.insights.offline.synthesiser import synthesise
from recipes.insights.quotes import is_exact, locate
from recipes.insights.synthesis import Theme
from tests.insights.support import TRANSCRIPT, World, result


def test_synonymous_labels_have_one_signature() -> None:
    assert codebook.signature("Pricing too high") == codebook.signature("Too expensive")
    assert codebook.signature("Dark mode") != codebook.signature("Too expensive")
    known = [codebook.Entry("Pricing too high", codebook.signature("Pricing too high"))]
    assert codebook.match("Costs more than it's worth", known) == known[0]
    assert codebook.match("Dark mode please", known) is None


def test_the_codebook_grows_and_merges_synonyms(app: Flask, world: World) -> None:
    with app.app_context():
        first = codebook.apply(
            db.session, world.campaign_id, [Theme(label="Pricing too high", confidence=0.8)]
        )
        second = codebook.apply(
            db.session,
            world.campaign_id,
            [
                Theme(label="Too expensive", confidence=0.9),
                Theme(label="Way too pricey", confidence=0.4),
                Theme(label="Dark mode", confidence=0.5),
            ],
        )
        db.session.commit()
        rows = db.session.scalars(sa.select(CodebookTheme).order_by(CodebookTheme.id)).all()
        assert [t.label for t in first] == ["Pricing too high"]
        assert [(t.label, t.confidence) for t in second] == [("Pricing too high", 0.9), ("Dark mode", 0.5)]
        assert [(r.label, r.mentions) for r in rows] == [("Pricing too high", 2), ("Dark mode", 1)]
        assert rows[0].synonyms == ["Too expensive", "Way too pricey"]
        other = codebook.apply(db.session, None, [Theme(label="Too expensive", confidence=1)])
        assert [t.label for t in other] == ["Too expensive"]  # another campaign's codebook


def test_stored_quotes_are_exact_spans_of_respondent_turns(world: World) -> None:
    world.send(result(world.invite()))
    world.drain()
    [row] = world.rows()
    assert 1 <= len(row.quotes) <= 3
    for quote in row.quotes:
        said = row.transcript[quote["turn"]]
        assert said["speaker"] == "respondent"
        assert said["text"][quote["start"] : quote["end"]] == quote["text"]
    assert 3 <= len(row.themes) <= 7 and 1 <= row.quality <= 5 and row.quality_reason
    assert row.sentiment_label in {"positive", "negative", "neutral", "mixed"}
    assert -1 <= row.sentiment_score <= 1


def test_quotes_are_located_only_in_what_the_respondent_said() -> None:
    assert locate("the price was way too high", 3, TRANSCRIPT) is not None  # found in turn 1
    assert locate("What made you stop", 0, TRANSCRIPT) is None  # the interviewer's words
    assert locate("price was way too low", 1, TRANSCRIPT) is None
    tidied = locate("SETTING IT UP  took us two weeks", 3, TRANSCRIPT)
    assert tidied is not None and tidied.text == "Setting it up took us two weeks"
    assert is_exact(tidied.model_dump(), TRANSCRIPT)
    assert not is_exact({"text": "Honestly", "turn": 0, "start": 0, "end": 8}, TRANSCRIPT)


def test_a_low_effort_interview_scores_low_and_stays_out_of_findings(world: World) -> None:
    low = [
        {"speaker": "interviewer", "text": "Why did you cancel?"},
        {"speaker": "respondent", "text": "idk"},
        {"speaker": "interviewer", "text": "Anything else?"},
        {"speaker": "respondent", "text": "no"},
    ]
    world.send(result(world.invite(), transcript=low, answers=[]))
    world.drain()
    [row] = world.rows()
    assert row.synthesis_status == "done" and row.quality is not None and row.quality < 3
    assert row.qualifying is False and row.counted_at is None
    listed = world.api.get("/api/v1/results", query_string={"quality": row.quality}).json["items"]
    assert [r["id"] for r in listed] == [row.id]  # kept and shown


def test_offline_synthesis_is_deterministic() -> None:
    assert synthesise(TRANSCRIPT) == synthesise(TRANSCRIPT)


def test_the_periodic_pass_picks_up_results_left_waiting(world: World) -> None:
    """A pending result whose job was lost, and a paused one once spending is allowed again."""
    world.send(result(world.invite(), result_id="lost"))
    world.send(result(world.invite(), result_id="paused"))
    world.drain()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with world.app.app_context():
        db.session.execute(
            sa.update(InterviewResult).values(synthesis_status="pending", updated_at=long_ago, themes=[])
        )
        db.session.execute(
            sa.update(InterviewResult)
            .where(InterviewResult.external_id == "paused")
            .values(synthesis_status="paused")
        )
        db.session.commit()
        assert synthesise_pending() == 2
    world.drain()
    assert [(r.external_id, r.synthesis_status, bool(r.themes)) for r in world.rows()] == [
        ("lost", "done", True),
        ("paused", "done", True),
    ]
