"""The admin in a real browser: sign in, add a connection whose secret stays hidden but kept,
page through a list, replay a dead outbox row; every main page at 1280 px and 390 px wide,
usable from the keyboard, with no serious accessibility violation (axe-core)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from hub.connections import update_settings
from hub.db import db
from hub.models import Connection
from tests.admin.conftest import EMAIL, PASSWORD
from tests.browser.conftest import Hub, screenshot, serious_violations, sign_in
from tests.connectors.conftest import start_fake


def test_sign_in_and_out(page: Page, hub: Hub) -> None:
    page.goto(f"{hub.address}/admin/outbox/")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    screenshot(page, "login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{hub.address}/admin/outbox/")
    page.goto(f"{hub.address}/admin/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    screenshot(page, "overview")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_add_a_connection_whose_secret_is_masked_and_kept(page: Page, hub: Hub) -> None:
    fake = start_fake("hubspot", 20)
    try:
        sign_in(page, hub.address)
        page.goto(f"{hub.address}/admin/connection/")
        page.get_by_role("link", name="Create").first.click()
        page.get_by_role("link", name="HubSpot").click()
        page.get_by_label("Name", exact=True).fill("CRM")
        page.get_by_label("API address").fill(fake.base_url)
        page.get_by_label("Private app or OAuth access token").fill(fake.credentials["access_token"])
        screenshot(page, "connection-form")
        page.get_by_role("button", name="Add connection").click()
        expect(page.get_by_role("heading", name="CRM is connected")).to_be_visible()
        page.get_by_role("link", name="Open the connection").click()
        expect(page.locator("#setting-access_token")).to_have_text("********")
        assert fake.credentials["access_token"] not in page.content()
        page.get_by_role("link", name="Edit settings").click()
        token = page.get_by_label("Private app or OAuth access token")
        expect(token).to_have_value("********")
        page.get_by_label("Name", exact=True).fill("CRM (EU)")
        page.get_by_role("button", name="Save").click()
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_text(re.compile("Test passed"))).to_be_visible()
        screenshot(page, "connection-details")
    finally:
        fake.stop()


def test_a_list_pages_on_the_server(page: Page, hub: Hub) -> None:
    sign_in(page, hub.address)
    page.goto(f"{hub.address}/admin/event/")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(25)
    screenshot(page, "events")
    page.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(re.compile(r"page=1"))
    expect(rows).to_have_count(5)


def test_replay_a_dead_outbox_row(page: Page, hub: Hub) -> None:
    fake = start_fake("generic", 0)
    try:
        with hub.app.app_context():  # the person fixed the receiver's address
            connection = db.session.get(Connection, hub.seeded.source_id)
            assert connection is not None
            update_settings(
                connection, {"url": fake.credentials["url"], "secret": fake.credentials["secret"]}
            )
            db.session.commit()
        sign_in(page, hub.address)
        page.get_by_role("link", name=re.compile("Dead outbox rows")).click()
        expect(page.locator('table.model-list a[href*="/admin/outbox/details/"]')).to_have_count(1)
        screenshot(page, "outbox-dead")
        page.locator(f'a[href*="/admin/outbox/details/?id={hub.seeded.dead_id}"]').first.click()
        page.get_by_role("button", name="Replay this row").click()
        expect(page.get_by_text("Queued again.")).to_be_visible()
        for _ in range(30):
            if page.locator(".badge", has_text="sent").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(page.locator(".badge", has_text="sent").first).to_be_visible()
        assert len(fake.deliveries) == 1
        screenshot(page, "outbox-replayed")
    finally:
        fake.stop()


def test_the_keyboard_alone_signs_in_and_reaches_the_menu(page: Page, hub: Hub) -> None:
    page.goto(f"{hub.address}/admin/login")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{hub.address}/admin/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="journeyhub")).to_be_focused()


PAGES = (
    ("overview", "/admin/"),
    ("connections", "/admin/connection/"),
    ("connection-picker", "/admin/connection/new/"),
    ("connection-new", "/admin/connection/new/?connector=hubspot"),
    ("cohorts", "/admin/cohort/"),
    ("events", "/admin/event/"),
    ("profiles", "/admin/profile/"),
    ("campaigns", "/admin/campaign/"),
    ("invites", "/admin/invite/"),
    ("results", "/admin/result/"),
    ("findings", "/admin/finding/"),
    ("outbox", "/admin/outbox/"),
    ("runs", "/admin/run/"),
    ("tokens", "/admin/tokens/"),
)


@pytest.mark.parametrize("width", [1280, 390])
def test_every_main_page_fits_and_has_no_serious_accessibility_violation(
    page: Page, hub: Hub, width: int
) -> None:
    s = hub.seeded
    details = (
        ("profile", f"/admin/profile/details/?id={s.profile_id}"),
        ("campaign", f"/admin/campaign/details/?id={s.campaign_id}"),
        ("connection", f"/admin/connection/details/?id={s.source_id}"),
        ("result", f"/admin/result/details/?id={s.result_id}"),
        ("run", f"/admin/run/details/?id={s.run_id}"),
        ("outbox-row", f"/admin/outbox/details/?id={s.dead_id}"),
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{hub.address}/admin/login")
    problems = {"login": serious_violations(page)}
    sign_in(page, hub.address)
    for name, path in (*PAGES, *details):
        answer = page.goto(f"{hub.address}{path}")
        assert answer is not None and answer.status == 200, path
        problems[name] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow} px wider than a {width} px screen"
        screenshot(page, f"{name}-{width}")
    found = {k: v for k, v in problems.items() if v}
    assert found == {}, "\n".join(f"{k}: {line}" for k, v in found.items() for line in v)
