"""The real funnel on a hand-built dataset whose every figure is worked out by hand."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from hub.db import db
from recipes.journeys.funnel import Funnel, measure
from recipes.journeys.schema import JourneyIn
from tests.journeys.support import T0, World, hours, journey_body


def funnel(app: Flask, segment: str | None = None, **window: object) -> Funnel:
    with app.app_context():
        since = window.get("since", T0 - timedelta(days=1))
        until = window.get("until", T0 + timedelta(days=30))
        return measure(db.session, JourneyIn.model_validate(journey_body()), since, until, segment)  # type: ignore[arg-type]


def test_ordered_conversion_within_the_window(app: Flask, world: World) -> None:
    world.known_funnel()
    stages = funnel(app).stages
    assert [s.entered for s in stages] == [6, 4, 2, 1]
    assert [s.converted for s in stages] == [4, 2, 1, None]


def test_skipped_and_out_of_order_stages(app: Flask, world: World) -> None:
    world.known_funnel()
    stages = funnel(app).stages
    assert [s.skipped for s in stages] == [0, 1, 1, 0]
    assert [s.out_of_order for s in stages] == [0, 0, 1, 2]


def test_median_and_p90_hours_to_the_next_stage(app: Flask, world: World) -> None:
    world.known_funnel()
    stages = funnel(app).stages
    assert [(s.median_hours, s.p90_hours) for s in stages] == [
        (2.0, 3.4),
        (13.0, 21.8),
        (2.0, 2.0),
        (None, None),
    ]


def test_a_merged_person_counts_once_with_both_halves_of_their_path(app: Flask, world: World) -> None:
    signed_up = world.person(("signed_up", T0))
    started = world.person(("trial_started", hours(1)))
    assert [s.entered for s in funnel(app).stages] == [1, 0, 0, 0]
    world.merge(signed_up, started)
    stages = funnel(app).stages
    assert [s.entered for s in stages] == [1, 1, 0, 0] and stages[0].median_hours == 1.0


def test_a_stage_on_the_same_event_as_the_one_before_needs_a_second_event(app: Flask, world: World) -> None:
    body = journey_body()
    body["stages"][1]["event"] = "signed_up"
    spec = JourneyIn.model_validate(body)
    world.person(("signed_up", T0))
    world.person(("signed_up", T0), ("signed_up", hours(3)))
    with app.app_context():
        stages = measure(db.session, spec, None, T0 + timedelta(days=1)).stages
    assert [s.entered for s in stages][:2] == [2, 1] and stages[0].median_hours == 3.0
