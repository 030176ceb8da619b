"""The steps before the caps, over data alone: trigger, conditions, screener, suppression,
sampling, then delay and quiet hours. Pure functions, so the engine, the dry run and the
backtest all walk the very same code; only the caps need the database.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recipes.engine.conditions import Facts, failure


@dataclass(frozen=True)
class Subject:
    """One event of one person, as the steps see it."""

    event_name: str
    properties: Mapping[str, Any]
    occurred_at: datetime
    profile_id: int
    traits: Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    step: str
    passed: bool
    detail: str


@dataclass
class Verdict:
    """Steps walked so far; `due_at` is set once every step before the caps passed."""

    steps: list[Step] = field(default_factory=list)
    due_at: datetime | None = None
    failed: Step | None = None
    """The step that held the person back, if one did: the last one walked."""


STEPS = ("trigger", "conditions", "screener", "suppression", "sampling")
PASSED = {name: Step(name, True, "passed") for name in STEPS}


def judge(
    recipe_id: int,
    recipe: Mapping[str, Any],
    subject: Subject,
    suppression: Sequence[Mapping[str, Any]],
    workspace_timezone: str,
    now: datetime,
) -> Verdict:
    """Walks the steps in order and stops at the first that fails, saying why in plain words.

    Written out step by step rather than as a table of callables: the backtest runs it a
    million times.
    """
    facts = Facts(subject.properties, subject.traits, now)
    steps: list[Step] = []
    for name in STEPS:
        if name == "trigger":
            reason = _trigger_failure(recipe["trigger"], subject)
        elif name == "conditions" or name == "screener":
            condition = recipe.get(name)
            reason = None if condition is None else failure(condition, facts)
        elif name == "suppression":
            reason = _suppression_failure(suppression, facts) if suppression else None
        else:
            reason = _sampling_failure(recipe_id, subject.profile_id, recipe["sample_percent"])
        if reason is not None:
            held = Step(name, False, reason)
            steps.append(held)
            return Verdict(steps, failed=held)
        steps.append(PASSED[name])
    due = now + timedelta(minutes=recipe["delay_minutes"]) if recipe["delay_minutes"] else now
    quiet = recipe.get("quiet_hours")
    if quiet:
        zone = person_zone(subject.traits, workspace_timezone)
        due = after_quiet_hours(due, quiet, zone)
    if due <= now:
        detail = "due now"
    else:
        zone = person_zone(subject.traits, workspace_timezone)
        detail = f"due at {due.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
    steps.append(Step("quiet_hours", True, detail))
    return Verdict(steps, due)


def _trigger_failure(trigger: Mapping[str, Any], subject: Subject) -> str | None:
    if trigger["type"] == "cohort_entered" or trigger["type"] == "cohort_exited":
        cohort = subject.properties.get("cohort_id")
        if cohort != trigger["cohort_id"]:
            return f"the person {trigger['type'].split('_')[1]} cohort {cohort}, not cohort {trigger['cohort_id']}"
    return None


def _suppression_failure(rules: Sequence[Mapping[str, Any]], facts: Facts) -> str | None:
    for rule in rules:
        if failure(rule["conditions"], facts) is None:
            return f"suppressed by the workspace rule {rule['name']!r}"
    return None


@functools.lru_cache(maxsize=65536)
def sample_point(recipe_id: int, profile_id: int) -> float:
    """Where a person falls in 0–100 for a recipe: the same every time, different per recipe."""
    digest = hashlib.sha256(f"{recipe_id}:{profile_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100


def _sampling_failure(recipe_id: int, profile_id: int, percent: float) -> str | None:
    point = sample_point(recipe_id, profile_id)
    return None if point < percent else f"outside the {percent:g}% sample (this person is at {point:.1f})"


def person_zone(traits: Mapping[str, Any], workspace_timezone: str) -> ZoneInfo:
    """The person's `timezone` trait when it names a real zone, else the workspace's."""
    for name in (traits.get("timezone"), workspace_timezone, "UTC"):
        if isinstance(name, str) and name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def after_quiet_hours(due: datetime, quiet: Mapping[str, str] | None, zone: ZoneInfo) -> datetime:
    """`due`, or the end of the quiet hours it falls in, in the person's local time."""
    if not quiet:
        return due
    start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    local = due.astimezone(zone)
    now_t = local.time()
    wraps = start > end
    inside = (now_t >= start or now_t < end) if wraps else (start <= now_t < end)
    if not inside:
        return due
    end_day = local.date() + timedelta(days=1) if wraps and now_t >= start else local.date()
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(due.tzinfo)
