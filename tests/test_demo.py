"""`journeyhub demo` for real: a subprocess in a temp data folder runs the whole loop against the
fakes within a minute; every figure of its summary is checked against its database and against
what the fakes themselves say they received; then its UI answers with the printed login, and
`journeyhub serve` on a fresh folder is still an empty hub."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_cli import JOURNEYHUB, env_for
from tests.test_serve import start_serve

LIMIT_S = 60


def start_demo(folder: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """`journeyhub demo` in `folder`, read until it prints the journey's address (the loop is done)."""
    process = subprocess.Popen(
        [*JOURNEYHUB, "demo", "--port", "0", "--json"],
        env=env_for(folder),
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("The journey:"):
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise AssertionError(
                f"the demo ended early: {''.join(lines)}{process.communicate(timeout=30)[1]}"
            )
        lines.append(line)
    return process, lines


def login(lines: list[str]) -> tuple[str, str, str]:
    """The address, email and password the demo printed."""
    printed = next(line for line in lines if line.startswith("The UI:"))
    found = re.search(r"(http://\S+)/admin/\s+\(login (\S+) / (\S+)\)", printed)
    assert found, printed
    address, email, password = found.groups()
    return address, email, password


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("demo")
    started = time.monotonic()
    process, lines = start_demo(folder)
    try:
        took = time.monotonic() - started
        yield {"lines": lines, "took": took, "db": folder / "home" / "journeyhub.db"}
    finally:
        process.terminate()
        process.communicate(timeout=60)
    assert process.returncode == 0


def _summary(demo: dict[str, Any]) -> dict[str, Any]:
    found = [json.loads(line) for line in demo["lines"] if line.startswith("{")]
    assert len(found) == 1
    return dict(found[0])


def _count(db: Path, sql: str, *values: object) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(sql, values).fetchone()[0])


def test_the_demo_runs_the_whole_loop_within_a_minute(demo: dict[str, Any]) -> None:
    assert demo["took"] < LIMIT_S, f"the demo took {demo['took']:.0f} s"
    s = _summary(demo)
    assert s["events_sent"] >= 300 and s["events_stored"] == s["events_sent"]
    assert s["invites"] > 20 and s["invites_sent"] == s["invites"] == s["emails_received"]
    assert s["caps_applied"] > 0
    assert s["results_sent"] > 10 and s["results_stored"] == s["results_sent"]
    assert s["findings"] > 0
    assert s["jira_issues"] > 0 and s["slack_messages"] > 0
    assert s["actions_delivered"] == s["jira_issues"] + s["slack_messages"]
    assert set(s["recipes"]) == {"Cart abandoned", "Trial expired without converting", "NPS detractor"}


def test_the_summary_matches_the_database(demo: dict[str, Any]) -> None:
    s, db = _summary(demo), demo["db"]
    assert _count(db, "select count(*) from events where name != 'cohort_entered'") == s["events_stored"]
    assert _count(db, "select count(*) from invites where sent_at is not null") == s["invites_sent"]
    assert _count(db, "select count(*) from decisions where step = 'caps'") == s["caps_applied"]
    assert _count(db, "select count(*) from interview_results") == s["results_stored"]
    assert _count(db, "select count(*) from findings where status = 'finding'") == s["findings"]
    assert (
        _count(db, "select count(*) from outbox where kind = 'action' and status = 'sent'")
        == (s["actions_delivered"])
    )
    assert _count(db, "select count(*) from outbox where status != 'sent'") == 0, "nothing left undelivered"
    assert _count(db, "select count(*) from journeys") == 1
    assert _count(db, "select count(*) from campaigns") == 2
    assert _count(db, "select count(*) from cohorts") == 1
    trial = s["recipes"]["Trial expired without converting"]
    absence = _count(db, "select count(*) from invites where recipe_id = ?", trial)
    assert absence > 0, "the absence trigger fired"


def test_the_summary_matches_what_the_fakes_received(demo: dict[str, Any]) -> None:
    s = _summary(demo)
    emails = httpx.get(f"{s['fakes']['email']}/_fake/messages").json()
    issues = httpx.get(f"{s['fakes']['jira']}/_fake/issues").json()
    messages = httpx.get(f"{s['fakes']['slack']}/_fake/messages").json()
    assert (len(emails), len(issues), len(messages)) == (
        s["emails_received"],
        s["jira_issues"],
        s["slack_messages"],
    )
    assert all("/i/" in (m["text"] or "") for m in emails), "every email carries its invite link"


def test_the_ui_answers_with_the_printed_login(demo: dict[str, Any]) -> None:
    address, email, password = login(demo["lines"])
    with httpx.Client(base_url=address, follow_redirects=True) as browser:
        form = browser.get("/admin/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        assert token
        signed_in = browser.post(
            "/admin/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
        )
        assert signed_in.status_code == 200 and "Sign out" in signed_in.text
        journey = browser.get(f"/admin/journeys/{_summary(demo)['journey_id']}/?days=30")
        assert journey.status_code == 200 and "Why people leave here" in journey.text
        assert "transcript</a>" in journey.text, "a finding beside its drop-off links to a transcript"


def test_serve_alone_still_starts_an_empty_hub(tmp_path: Path) -> None:
    process, _address = start_serve(tmp_path)
    try:
        db = tmp_path / "home" / "journeyhub.db"
        for table in ("connections", "events", "recipes", "journeys", "admin_users"):
            assert _count(db, f"select count(*) from {table}") == 0, table  # noqa: S608 - our own names
    finally:
        process.terminate()
        process.communicate(timeout=30)
