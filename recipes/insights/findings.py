"""Findings per recipe and period, updated one result at a time.

A qualifying result (quality at the threshold or above, linked to a recipe) adds one
interview to its recipe's `all` period and to its calendar month, and one mention to each of
its themes there. Only that period's own rows are touched, never the results before it: the
period row is locked first, so concurrent results of one recipe take turns, and each finding
of the period gets its new share, its status (a finding at `share` of at least
`min_interviews`, else emerging), a point in its daily history, and a finding-changed event
when it appeared, receded, or moved by more than `change` since the last event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.config import Settings
from hub.db import insert_ignore
from hub.models import Finding, FindingChange, FindingPoint, FindingWindow, InterviewResult
from recipes.insights.codebook import same_theme, signature

ALL = "all"
QUOTES_KEPT = 3


@dataclass(frozen=True)
class Thresholds:
    share: float
    min_interviews: int
    change: float

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(
            settings.journeyhub_finding_share,
            settings.journeyhub_finding_min_interviews,
            settings.journeyhub_finding_change,
        )


def periods(at: datetime) -> tuple[str, str]:
    return ALL, at.strftime("%Y-%m")


def count(session: Session, result: InterviewResult, thresholds: Thresholds, now: datetime) -> int:
    """Adds a qualifying result to its recipe's findings once; answers the events recorded."""
    if result.recipe_id is None or not result.qualifying:
        return 0
    marked = session.execute(
        sa.update(InterviewResult)
        .where(InterviewResult.id == result.id, InterviewResult.counted_at.is_(None))
        .values(counted_at=now)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    events = 0
    for period in periods(result.completed_at):
        window = _locked(session, result.recipe_id, period, now)
        window.interviews += 1
        window.updated_at = now
        for theme in result.themes:
            _mention(session, result, period, theme, now)
        session.flush()
        for finding in session.scalars(
            sa.select(Finding).where(Finding.recipe_id == result.recipe_id, Finding.period == period)
        ):
            events += _update(session, finding, window.interviews, thresholds, result.id, now)
    return events


def _locked(session: Session, recipe_id: int, period: str, now: datetime) -> FindingWindow:
    session.execute(
        insert_ignore(session, FindingWindow).values(
            recipe_id=recipe_id, period=period, interviews=0, updated_at=now
        )
    )
    window = session.scalar(
        sa.select(FindingWindow)
        .where(FindingWindow.recipe_id == recipe_id, FindingWindow.period == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert window is not None  # noqa: S101 - inserted just above if it was missing
    return window


def _mention(
    session: Session, result: InterviewResult, period: str, theme: dict[str, Any], now: datetime
) -> None:
    label = str(theme["label"])
    finding = session.scalar(
        sa.select(Finding).where(
            Finding.recipe_id == result.recipe_id, Finding.period == period, Finding.theme == label
        )
    )
    if finding is None:
        finding = Finding(
            recipe_id=result.recipe_id,
            period=period,
            theme=label,
            mentions=0,
            interviews=0,
            share=0.0,
            sentiment_sum=0.0,
            status="emerging",
            quotes=[],
            first_seen_at=now,
            updated_at=now,
        )
        session.add(finding)
    finding.mentions += 1
    finding.sentiment_sum += float(result.sentiment_score or 0.0)
    finding.quotes = _representative(finding.quotes, result, label, float(theme.get("confidence", 0)))


def _representative(
    kept: list[dict[str, Any]], result: InterviewResult, label: str, confidence: float
) -> list[dict[str, Any]]:
    """The quotes that best show the theme: from the results most sure of it, about it if possible."""
    mine = signature(label)
    ranked = sorted(result.quotes, key=lambda q: -same_theme(mine, signature(str(q["text"]))))
    if not ranked:
        return kept
    best = ranked[0]
    candidate = {
        "text": best["text"],
        "result_id": result.id,
        "turn": best["turn"],
        "start": best["start"],
        "end": best["end"],
        "confidence": confidence,
    }
    pool = [*kept, candidate]
    pool.sort(key=lambda q: (-float(q.get("confidence", 0)), -int(q["result_id"])))
    return pool[:QUOTES_KEPT]


def _update(
    session: Session, finding: Finding, interviews: int, thresholds: Thresholds, result_id: int, now: datetime
) -> int:
    share = round(finding.mentions / interviews, 4) if interviews else 0.0
    status = (
        "finding" if interviews >= thresholds.min_interviews and share >= thresholds.share else "emerging"
    )
    kind = None
    if status == "finding" and finding.status != "finding":
        kind = "appeared"
    elif status == "emerging" and finding.status == "finding":
        kind = "receded"
    elif status == "finding" and abs(share - (finding.announced_share or 0.0)) > thresholds.change:
        kind = "moved"
    if kind is not None:
        session.add(
            FindingChange(
                finding_id=finding.id,
                recipe_id=finding.recipe_id,
                period=finding.period,
                theme=finding.theme,
                kind=kind,
                share_before=finding.announced_share,
                share=share,
                interviews=interviews,
                mentions=finding.mentions,
                result_id=result_id,
                at=now,
            )
        )
        finding.announced_share = share
    finding.share, finding.interviews, finding.status, finding.updated_at = share, interviews, status, now
    _point(session, finding, now)
    return kind is not None


def _point(session: Session, finding: Finding, now: datetime) -> None:
    point = session.scalar(
        sa.select(FindingPoint).where(FindingPoint.finding_id == finding.id, FindingPoint.day == now.date())
    )
    if point is None:
        point = FindingPoint(finding_id=finding.id, day=now.date())
        session.add(point)
    point.at, point.share, point.interviews, point.mentions = (
        now,
        finding.share,
        finding.interviews,
        finding.mentions,
    )
