"""A provider that hands back the same cursor is caught, not followed forever (Intercom search here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.intercom.client import IntercomClient
from connectors.sdk import PaginationLoop
from tests.conftest import close_app, make_app
from tests.http.conftest import LocalServer, Reply


def page(ids: list[str], after: str | None) -> Reply:
    pages = {"next": {"starting_after": after}} if after else {}
    return Reply(200, {"type": "list", "data": [{"id": i} for i in ids], "pages": pages})


def test_a_repeated_search_cursor_fails_the_walk(tmp_path: Path, server: LocalServer) -> None:
    server.reply(page(["1", "2"], "c1"), page(["3"], "c2"), page(["4"], "c1"))
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    try:
        with app.app_context():
            client = IntercomClient({"base_url": server.url, "access_token": "t0ken-value"})
            walked: list[list[str]] = []
            with pytest.raises(PaginationLoop, match="Intercom contacts search"):
                for contacts in client.search_pages({"field": "role", "operator": "=", "value": "user"}, 2):
                    walked.append([c["id"] for c in contacts])
    finally:
        close_app(app)
    assert walked == [["1", "2"], ["3"], ["4"]]
    assert len(server.seen) == 3
