"""The condition evaluator and the steps before the caps, over plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recipes.engine.conditions import Facts, failure
from recipes.engine.steps import Subject, after_quiet_hours, judge, person_zone, sample_point

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FACTS = Facts(
    properties={"cart_value": 80, "plan": {"tier": "pro"}, "tags": ["beta", "eu"], "note": "late delivery"},
    traits={"plan": "team", "signed_up_at": "2026-11-20T10:00:00Z", "opted_out": False, "seats": 3},
    now=NOW,
)


@pytest.mark.parametrize(
    ("rule", "holds"),
    [
        ({"field": "properties.cart_value", "op": "gt", "value": 50}, True),
        ({"field": "properties.cart_value", "op": "lte", "value": 50}, False),
        ({"field": "properties.cart_value", "op": "eq", "value": 80.0}, True),
        ({"field": "properties.plan.tier", "op": "eq", "value": "pro"}, True),
        ({"field": "traits.plan", "op": "in", "value": ["pro", "team"]}, True),
        ({"field": "traits.plan", "op": "not_in", "value": ["pro", "team"]}, False),
        ({"field": "properties.tags", "op": "contains", "value": "beta"}, True),
        ({"field": "properties.note", "op": "contains", "value": "late"}, True),
        ({"field": "traits.missing", "op": "exists", "value": True}, False),
        ({"field": "traits.missing", "op": "exists", "value": False}, True),
        ({"field": "traits.missing", "op": "ne", "value": "x"}, True),
        ({"field": "traits.opted_out", "op": "eq", "value": 0}, False),
        ({"field": "traits.signed_up_at", "op": "within_days", "value": 7}, True),
        ({"field": "traits.signed_up_at", "op": "within_days", "value": 2}, False),
        ({"field": "traits.signed_up_at", "op": "gt", "value": "2026-11-01T00:00:00Z"}, True),
        ({"field": "traits.plan", "op": "gt", "value": 3}, False),
    ],
)
def test_each_operator(rule: dict[str, Any], holds: bool) -> None:
    assert (failure(rule, FACTS) is None) is holds


def test_groups_nest_and_the_first_failing_rule_is_named() -> None:
    condition = {
        "all": [
            {"field": "traits.seats", "op": "gte", "value": 2},
            {
                "any": [
                    {"field": "traits.plan", "op": "eq", "value": "pro"},
                    {"field": "traits.seats", "op": "gt", "value": 10},
                ]
            },
        ]
    }
    reason = failure(condition, FACTS)
    assert (
        reason
        == "none of these held: traits.plan is 'team', wanted eq 'pro'; traits.seats is 3, wanted gt 10"
    )


RECIPE: dict[str, Any] = {
    "trigger": {"type": "event", "event": "trial_expired"},
    "conditions": {"all": [{"field": "properties.cart_value", "op": "gt", "value": 50}]},
    "screener": None,
    "sample_percent": 100,
    "delay_minutes": 0,
    "quiet_hours": None,
}


def subject(**traits: Any) -> Subject:
    return Subject("trial_expired", {"cart_value": 80}, NOW, 7, traits)


def test_the_steps_stop_at_the_first_failure_and_say_why() -> None:
    suppression = [
        {
            "name": "opted out",
            "conditions": {"all": [{"field": "traits.opted_out", "op": "eq", "value": True}]},
        }
    ]
    held = judge(1, RECIPE, subject(opted_out=True), suppression, "UTC", NOW)
    assert held.failed is not None and held.failed.step == "suppression"
    assert held.failed.detail == "suppressed by the workspace rule 'opted out'"
    assert held.due_at is None
    passed = judge(1, RECIPE, subject(opted_out=False), suppression, "UTC", NOW)
    assert passed.failed is None and passed.due_at == NOW
    assert [s.step for s in passed.steps] == [
        "trigger",
        "conditions",
        "screener",
        "suppression",
        "sampling",
        "quiet_hours",
    ]


def test_sampling_is_deterministic_per_person_and_recipe_and_near_the_percentage() -> None:
    assert sample_point(3, 42) == sample_point(3, 42)
    inside = sum(sample_point(3, person) < 25 for person in range(10_000))
    assert 2300 < inside < 2700
    assert {sample_point(r, 42) for r in range(5)} != {sample_point(0, 42)}


def test_a_cohort_trigger_names_its_cohort() -> None:
    recipe = {**RECIPE, "conditions": None, "trigger": {"type": "cohort_entered", "cohort_id": 3}}
    other = Subject("cohort_entered", {"cohort_id": 4}, NOW, 7, {})
    assert judge(1, recipe, other, [], "UTC", NOW).failed == judge(1, recipe, other, [], "UTC", NOW).steps[0]
    same = Subject("cohort_entered", {"cohort_id": 3}, NOW, 7, {})
    assert judge(1, recipe, same, [], "UTC", NOW).failed is None


def test_quiet_hours_hold_an_invite_until_they_end_in_the_persons_zone() -> None:
    quiet = {"start": "21:00", "end": "08:00"}
    tokyo = person_zone({"timezone": "Asia/Tokyo"}, "UTC")
    at_23_in_tokyo = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert after_quiet_hours(at_23_in_tokyo, quiet, tokyo) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert after_quiet_hours(NOW, quiet, person_zone({}, "UTC")) == NOW
    assert person_zone({"timezone": "Mars/Olympus"}, "Europe/Berlin").key == "Europe/Berlin"
    recipe = {**RECIPE, "quiet_hours": quiet, "delay_minutes": 30}
    verdict = judge(
        1, recipe, subject(timezone="Asia/Tokyo"), [], "UTC", at_23_in_tokyo - timedelta(minutes=30)
    )
    assert verdict.due_at == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert verdict.steps[-1].detail == "due at 2026-11-24 08:00 Asia/Tokyo"
