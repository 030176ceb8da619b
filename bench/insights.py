"""Insights chat: retrieval and the offline answer over 10,000 stored interviews.

Writes 10,000 synthesised interviews into the embedded default (SQLite with FTS5; or a real
PostgreSQL with `--postgres`): each is one of the labelled interviews of
tests/data/interviews.json with one more exchange from another appended, its themes the two
offline syntheses' themes, spread over three recipes, two plans and 180 days. Then asks 50
questions (the 30 labelled ones of tests/data/ask_questions.json, and 20 of them again under a
filter: a recipe, a plan, a time window) and times, per question, the retrieval (the full-text
search, the count and the theme statistics, in the database) and the whole offline answer as
the API gives it (POST /api/v1/insights/ask through the app, conversation stored). The
baseline, in the same process, is what the database retrieval replaces: every respondent turn
of the filtered results loaded into Python and scored there, with the theme counts, on the
first 10 questions. Claude is not called (the model's own time is not the hub's).

    python bench/insights.py [--quick] [--interviews 10000] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from hub.api.auth import create_token  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.connections import create_connection  # noqa: E402
from hub.db import db  # noqa: E402
from hub.migrate import upgrade  # noqa: E402
from hub.models import InterviewResult, Profile  # noqa: E402
from recipes.insights.ask import search  # noqa: E402
from recipes.insights.ask.filters import Filters, where  # noqa: E402
from recipes.insights.offline.synthesiser import synthesise  # noqa: E402

DATA = ROOT / "tests" / "data"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
GOAL_P95_MS = 300.0
BASELINE_QUESTIONS = 10


def interviews(count: int, recipes: list[int], connection_id: int) -> list[dict[str, Any]]:
    labelled = json.loads((DATA / "interviews.json").read_text())["interviews"]
    made = [(i["transcript"], synthesise(i["transcript"])) for i in labelled]
    rng = random.Random(42)
    rows = []
    for n in range(count):
        transcript, synthesis = made[n % len(made)]
        extra, more = made[rng.randrange(len(made))]
        turns = [*transcript, {"speaker": "interviewer", "text": "Anything else?"}, *extra[-1:]]
        themes = {t.label: t.confidence for t in [*synthesis.themes, *more.themes[:1]]}
        rows.append(
            {
                "connection_id": connection_id,
                "external_id": f"bench-{n}",
                "recipe_id": recipes[n % len(recipes)],
                "profile_id": n + 1,
                "respondent": {},
                "completed_at": T0 + timedelta(minutes=n * 180 * 24 * 60 // count),
                "transcript": turns,
                "answers": [],
                "synthesis_status": "done",
                "themes": [{"label": k, "confidence": v} for k, v in themes.items()],
                "quotes": [q.model_dump() for q in synthesis.quotes],
                "quality": synthesis.quality,
                "qualifying": synthesis.quality >= 3,
                "created_at": T0,
                "updated_at": T0,
            }
        )
    return rows


def questions(recipes: list[int]) -> list[dict[str, Any]]:
    labelled = [q["question"] for q in json.loads((DATA / "ask_questions.json").read_text())["questions"]]
    asked: list[dict[str, Any]] = [{"question": q} for q in labelled]
    for n, question in enumerate(labelled[:20]):
        kind = n % 3
        if kind == 0:
            asked.append({"question": question, "recipe_id": recipes[n % len(recipes)]})
        elif kind == 1:
            asked.append({"question": question, "segment": "traits.plan=team"})
        else:
            since = T0 + timedelta(days=30 * (n % 5))
            asked.append(
                {
                    "question": question,
                    "since": since.isoformat(),
                    "until": (since + timedelta(days=60)).isoformat(),
                }
            )
    return asked


def retrieve(body: dict[str, Any]) -> None:
    """What the API's retrieval does for one question (in the database)."""
    filters = Filters(
        recipe_id=body.get("recipe_id"),
        segment=body.get("segment"),
        since=datetime.fromisoformat(body["since"]) if "since" in body else None,
        until=datetime.fromisoformat(body["until"]) if "until" in body else None,
    )
    condition = where(db.session, filters)
    words = search.terms(body["question"])
    found = search.passages(db.session, words, condition, 200)
    search.considered(db.session, condition)
    search.theme_counts(db.session, condition, 50)
    search.themes_of(db.session, {p.result_id for p in found})
    db.session.rollback()


def baseline(body: dict[str, Any]) -> None:
    """Python over everything: every turn and theme of the filtered results loaded and scored here."""
    filters = Filters(recipe_id=body.get("recipe_id"), segment=body.get("segment"))
    rows = db.session.execute(
        sa.select(InterviewResult.id, InterviewResult.transcript, InterviewResult.themes).where(
            where(db.session, filters)
        )
    ).all()
    wanted = set(search.terms(body["question"]))
    scored = []
    themes: Counter[str] = Counter()
    for row in rows:
        themes.update({t["label"] for t in row.themes})
        for turn, said in enumerate(row.transcript):
            if said.get("speaker") == "respondent":
                hits = sum(1 for w in search.WORDS.findall(said["text"].lower()) if w in wanted)
                if hits:
                    scored.append((hits, row.id, turn))
    scored.sort(reverse=True)
    db.session.rollback()


def timed(fn: Any, *args: Any) -> float:
    clock = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - clock) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def setup(url: str, home: Path, count: int) -> tuple[Any, Any, list[int]]:
    engine = sa.create_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app(
        {
            "JOURNEYHUB_HOME": str(home),
            "DATABASE_URL": url,
            "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
        }
    )
    client = app.test_client()
    with app.app_context():
        token = create_token("bench")
        connection_id = create_connection("interviews", "platform", {}).connection.id
        db.session.commit()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    campaign = client.post(
        "/api/v1/campaigns",
        json={"name": "c", "interview_url": "https://i.example.com", "channel": "webhook", "questions": []},
    ).json["id"]
    recipes = [
        client.post(
            "/api/v1/recipes",
            json={"name": f"r{n}", "trigger": {"type": "event", "event": f"e{n}"}, "campaign_id": campaign},
        ).json["id"]
        for n in range(3)
    ]
    clock = time.perf_counter()
    with app.app_context():
        db.session.execute(
            sa.insert(Profile),
            [{"id": n + 1, "traits": {"plan": "team" if n % 2 else "pro"}} for n in range(count)],
        )
        rows = interviews(count, recipes, connection_id)
        for start in range(0, count, 1000):
            db.session.execute(sa.insert(InterviewResult), rows[start : start + 1000])
        db.session.commit()
    print(f"stored {count:,} interviews in {time.perf_counter() - clock:.1f} s")
    return app, client, recipes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--interviews", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="a real PostgreSQL instead of SQLite")
    args = parser.parse_args()
    count = 2_000 if args.quick else args.interviews
    home = Path(tempfile.mkdtemp(prefix="bench-insights-"))
    server = None
    url = f"sqlite:///{home / 'journeyhub.db'}"
    if args.postgres:
        from tests.servers import start_postgres

        server = start_postgres()
        url = server.admin_url
    try:
        run(url, home, count, "postgresql" if server else "sqlite")
    finally:
        if server is not None:
            server.stop()


def run(url: str, home: Path, count: int, database: str) -> None:
    app, client, recipes = setup(url, home, count)
    asked = questions(recipes)
    retrieval, answer, base = [], [], []
    with app.app_context():
        for body in asked:
            retrieval.append(timed(retrieve, body))
        for body in asked[:BASELINE_QUESTIONS]:
            base.append(timed(baseline, body))
    for body in asked:
        clock = time.perf_counter()
        reply = client.post("/api/v1/insights/ask", json=body)
        answer.append((time.perf_counter() - clock) * 1000)
        assert reply.status_code == 200, reply.json
    print(f"{'question':70} {'retrieval ms':>13} {'answer ms':>10}")
    for body, r, a in zip(asked, retrieval, answer, strict=True):
        label = body["question"][:50] + (
            " +" + ",".join(k for k in body if k != "question") if len(body) > 1 else ""
        )
        print(f"{label:70} {r:13.1f} {a:10.1f}")
    ours = statistics.median(retrieval[:BASELINE_QUESTIONS])
    figures = {
        "bench": "insights",
        "database": database,
        "interviews": count,
        "questions": len(asked),
        "retrieval_p50_ms": round(pct(retrieval, 0.5), 1),
        "retrieval_p95_ms": round(pct(retrieval, 0.95), 1),
        "answer_p50_ms": round(pct(answer, 0.5), 1),
        "answer_p95_ms": round(pct(answer, 0.95), 1),
        "baseline_retrieval_p50_ms": round(statistics.median(base), 1),
        "vs_baseline": round(statistics.median(base) / ours, 1),
        "goal_answer_p95_ms": GOAL_P95_MS,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    print(
        f"retrieval p50 {figures['retrieval_p50_ms']} ms, p95 {figures['retrieval_p95_ms']} ms; "
        f"offline answer p50 {figures['answer_p50_ms']} ms, p95 {figures['answer_p95_ms']} ms "
        f"(goal p95 < {GOAL_P95_MS:.0f} ms); Python over everything {figures['baseline_retrieval_p50_ms']} ms "
        f"({figures['vs_baseline']}x); load average {figures['load_avg']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
