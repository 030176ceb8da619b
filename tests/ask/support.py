"""Stored, synthesised interviews to ask about: the labelled interviews of tests/data/interviews.json
as results of one recipe, synthesised by the offline synthesiser, each from a person with a plan."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from hub.db import db
from hub.models import InterviewResult, Profile
from recipes.insights.offline.synthesiser import synthesise

DATA = Path(__file__).resolve().parent.parent / "data"
INTERVIEWS: list[dict[str, Any]] = json.loads((DATA / "interviews.json").read_text())["interviews"]
QUESTIONS: list[dict[str, Any]] = json.loads((DATA / "ask_questions.json").read_text())["questions"]
START = datetime(2026, 5, 1, tzinfo=UTC)
THRESHOLD = 3


def stored(
    app: Flask,
    connection_id: int,
    recipe_id: int | None,
    interview: dict[str, Any],
    *,
    completed_at: datetime = START,
    traits: dict[str, Any] | None = None,
) -> int:
    """One result as intake and synthesis would leave it; answers its id."""
    synthesis = synthesise(interview["transcript"])
    with app.app_context():
        profile = Profile(traits=traits or {})
        db.session.add(profile)
        db.session.flush()
        row = InterviewResult(
            connection_id=connection_id,
            external_id=f"{interview['id']}-{uuid.uuid4().hex[:8]}",
            profile_id=profile.id,
            recipe_id=recipe_id,
            respondent={"email": f"{interview['id']}@example.com"},
            completed_at=completed_at,
            transcript=interview["transcript"],
            answers=[],
            synthesis_status="done",
            engine="offline",
            themes=[t.model_dump() for t in synthesis.themes],
            sentiment_label=synthesis.sentiment.label,
            sentiment_score=synthesis.sentiment.score,
            quotes=[q.model_dump() for q in synthesis.quotes],
            quality=synthesis.quality,
            quality_reason=synthesis.quality_reason,
            qualifying=synthesis.quality >= THRESHOLD,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def labelled(app: Flask, connection_id: int, recipe_id: int | None) -> dict[str, int]:
    """Every labelled interview, a day apart, half of them on the team plan: labelled id -> result id."""
    return {
        interview["id"]: stored(
            app,
            connection_id,
            recipe_id,
            interview,
            completed_at=START + timedelta(days=index),
            traits={"plan": "team" if index % 2 else "pro"},
        )
        for index, interview in enumerate(INTERVIEWS)
    }
