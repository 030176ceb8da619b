"""Reading back what a fake received, the way tests, outside checks and the demo do: over HTTP."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sdk.fakes.record import RECORD_PATH
from connectors.sdk.fakes.server import FakeServer


def received(fake: FakeServer) -> list[dict[str, Any]]:
    answer = requests.get(fake.base_url + RECORD_PATH, timeout=5, verify=str(fake.ca_path or True))
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def calls(fake: FakeServer) -> list[tuple[str, str]]:
    """(method, path) of each request received, oldest first."""
    return [(r["method"], r["path"]) for r in received(fake)]
