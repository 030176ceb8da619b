"""`GET /_fake/requests`: every fake tells what it received, oldest first, with no credentials in it."""

from __future__ import annotations

import pytest
import requests

from connectors.registry import get_connector, with_fake
from tests.fakes.support import received


@pytest.mark.parametrize("name", sorted(with_fake()))
def test_what_a_fake_received_reads_back_without_secrets(name: str) -> None:
    server = get_connector(name).fake(members=3)
    assert server is not None
    verify = str(server.ca_path or True)
    try:
        requests.post(
            f"{server.base_url}/some/path",
            params={"limit": "5", "hapikey": "k-123456", "access_token": "t-123456"},
            json={"name": "Ada", "client_secret": "s-123456", "nested": {"api_key": "a-123456", "ok": 1}},
            headers={"Authorization": "Bearer b-123456"},
            timeout=5,
            verify=verify,
        )
        requests.put(
            f"{server.base_url}/other", data={"password": "p-123456", "plan": "pro"}, timeout=5, verify=verify
        )
        seen = received(server)
    finally:
        server.stop()
    assert seen == [
        {
            "method": "POST",
            "path": "/some/path",
            "query": {"limit": "5"},
            "json": {"name": "Ada", "nested": {"ok": 1}},
        },
        {"method": "PUT", "path": "/other", "query": {}, "json": {"plan": "pro"}},
    ]
    assert "123456" not in str(seen)
