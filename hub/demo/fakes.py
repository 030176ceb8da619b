"""The fakes the demo talks to, each started in this process on a free loopback port."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import requests

from connectors.registry import get_connector

NEEDED = {"hubspot": 40, "email": 0, "jira": 0, "slack": 0}
"""Each fake and the members it is seeded with: HubSpot holds the cohort, email receives the invites,
Jira and Slack receive the findings."""


def start_fakes() -> dict[str, Any]:
    started: dict[str, Any] = {}
    try:
        for name, members in NEEDED.items():
            server = get_connector(name).fake(port=0, members=members)
            if server is None:
                raise RuntimeError(f"connector {name!r} has no fake")
            started[name] = server
    except BaseException:
        stop_fakes(started)
        raise
    return started


def stop_fakes(started: dict[str, Any]) -> None:
    for server in started.values():
        with suppress(Exception):
            server.stop()


def read_back(server: Any, path: str) -> Any:
    """What a fake says it received (`/_fake/messages`, `/_fake/issues`), over its own HTTP side."""
    answer = requests.get(server.describe()["base_url"] + path, timeout=30)
    answer.raise_for_status()
    return answer.json()
