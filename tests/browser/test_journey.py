"""The journey view in a real browser, over the workspace `journeyhub demo` builds through the
whole loop: each drop-off with a finding beside it (its share, a quote, a link to the
transcript), the segment picker, a recipe's chart; at 1280 px and 390 px, with no serious
accessibility violation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, serious_violations
from tests.test_demo import login, start_demo


@dataclass
class Demo:
    address: str
    email: str
    password: str
    journey_id: int
    recipes: dict[str, int]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    process, lines = start_demo(tmp_path_factory.mktemp("demo"))
    try:
        summary = next(json.loads(line) for line in lines if line.startswith("{"))
        yield Demo(*login(lines), summary["journey_id"], summary["recipes"])
    finally:
        process.terminate()
        process.communicate(timeout=60)


def _sign_in(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.address}/admin/login")
    page.get_by_label("Email").fill(demo.email)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{demo.address}/admin/")


def test_read_a_finding_beside_its_drop_off(page: Page, demo: Demo) -> None:
    _sign_in(page, demo)
    page.get_by_role("link", name="Journeys").click()
    page.get_by_role("link", name="Sign-up to happy customer").click()
    checkout = page.locator("#stage-3")
    expect(checkout.get_by_role("heading", name=re.compile("Checkout"))).to_be_visible()
    expect(checkout).to_contain_text("actual")
    expect(checkout).to_contain_text("The map assumes")
    finding = checkout.locator(".jh-finding").first
    expect(finding.get_by_role("img", name=re.compile(r"\d+%"))).to_be_visible()
    expect(finding.locator("blockquote").first).to_be_visible()
    screenshot(page, "journey")
    finding.get_by_role("link", name="transcript").first.click()
    expect(page).to_have_url(re.compile(r"/admin/result/details/\?id=\d+"))
    expect(page.get_by_text("respondent").first).to_be_visible()
    screenshot(page, "journey-transcript")
    page.go_back()
    page.get_by_label("Segment by").select_option("traits.plan")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Rate to the next stage by traits.plan")).to_be_visible()
    screenshot(page, "journey-segments")


def test_ask_why_opens_the_stages_new_recipe_in_the_builder(page: Page, demo: Demo) -> None:
    _sign_in(page, demo)
    page.goto(f"{demo.address}/admin/journeys/{demo.journey_id}/")
    signed_up = page.locator("#stage-1")
    signed_up.get_by_label("Interview them with").select_option(label="Trial interview")
    signed_up.get_by_role("button", name="Ask why").click()
    expect(page).to_have_url(re.compile(r"/admin/recipes/\d+/$"))
    expect(page.get_by_label("Trigger")).to_have_value("absence")
    expect(page.get_by_label("Event", exact=True)).to_have_value("signed_up")
    expect(page.get_by_label("Without this event")).to_have_value("trial_started")
    expect(page.get_by_label("Enabled")).not_to_be_checked()
    screenshot(page, "ask-why-recipe")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_journey_view_fits_and_has_no_serious_accessibility_violation(
    page: Page, demo: Demo, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, demo)
    problems = {}
    for name, path in (
        ("journeys", "/admin/journeys/"),
        ("journey-view", f"/admin/journeys/{demo.journey_id}/?segment=traits.plan"),
        ("recipe-chart-demo", f"/admin/recipes/{demo.recipes['Cart abandoned']}/chart/"),
        ("builder-demo", f"/admin/recipes/{demo.recipes['Cart abandoned']}/"),
    ):
        answer = page.goto(f"{demo.address}{path}")
        assert answer is not None and answer.status == 200, path
        problems[name] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow} px wider than a {width} px screen"
        screenshot(page, f"{name}-{width}")
    assert {k: v for k, v in problems.items() if v} == {}
