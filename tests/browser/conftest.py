"""A real `journeyhub serve` on loopback, a workspace seeded into its database, and Debian's
chromium driven headless by playwright (never a downloaded browser: scripts/test installs
/usr/bin/chromium with apt-get). Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from hub.app import create_app
from hub.db import db
from hub.models import Outbox
from tests.admin.conftest import EMAIL, PASSWORD
from tests.admin.seed import Seeded, seed
from tests.test_cli import JOURNEYHUB, env_for
from tests.test_serve import start_serve

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
HOSTS = {"JOURNEYHUB_ALLOWED_HOSTS": "127.0.0.1,localhost"}
"""The fakes the tests point connections at listen on loopback."""


@dataclass
class Hub:
    address: str
    app: Flask
    """The same database as the server's, for seeding and reading back."""
    seeded: Seeded


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("browser")
    process, address = start_serve(folder, **HOSTS)
    with pytest.MonkeyPatch.context() as env:
        for name in ("DATABASE_URL", "REDIS_URL", "JOURNEYHUB_SECRET_KEY"):
            env.delenv(name, raising=False)  # the in-process app opens the server's own database
        env.chdir(folder)
        yield from _seeded(folder, process, address)


def _seeded(folder: Path, process: subprocess.Popen[str], address: str) -> Iterator[Hub]:
    try:
        made = subprocess.run(
            [*JOURNEYHUB, "create-admin", "--email", EMAIL, "--password", PASSWORD],
            env=env_for(folder),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        app = create_app({"JOURNEYHUB_HOME": str(folder / "home"), **HOSTS})
        seeded = seed(app, events=30)
        settle(app, seeded.dead_id)
        yield Hub(address, app, seeded)
        app.extensions["journeyhub.jobs"].shutdown()
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile per test: no cookies carried from one test to the next."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in(page: Page, address: str) -> None:
    page.goto(f"{address}/admin/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{address}/admin/")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def settle(app: Flask, dead_id: int) -> None:
    """The server's own worker also delivers the seeded invites; once it has tried them all, the
    row the tests replay is marked dead again, whatever that worker wrote over it."""
    with app.app_context():
        for _ in range(120):
            pending = db.session.scalar(sa.select(sa.func.count()).where(Outbox.status == "pending"))
            if not pending:
                break
            db.session.rollback()
            time.sleep(0.25)
        row = db.session.get(Outbox, dead_id)
        assert row is not None
        row.status = "dead"
        db.session.commit()


def serious_violations(page: Page) -> list[str]:
    """axe-core's findings of impact serious or critical, one line each.

    Finite animations run out first: a button the test just clicked is still fading to its hover
    colours for 150 ms, and axe measured the contrast of a colour halfway there (CI, a busy machine)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => {"
        " await Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)"
        ".map(a => a.finished.catch(() => null)));"
        " return (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);"
        " }"
    )
    return list(found)
