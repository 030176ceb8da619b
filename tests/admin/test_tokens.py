"""API tokens made in the admin work against the API at once, are shown once, and stop when revoked."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.admin.conftest import csrf


def test_a_token_is_shown_once_works_and_stops_when_revoked(app: Flask, admin: FlaskClient) -> None:
    page = admin.post(
        "/admin/tokens/", data={"name": "nightly export", "csrf_token": csrf(admin, "/admin/tokens/")}
    )
    text = page.get_data(as_text=True)
    token = re.search(r'id="new-token">(jh_[^<]+)<', text)
    assert page.status_code == 200 and token, text
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert api.get("/api/v1/connections", headers=headers).status_code == 200
    listing = admin.get("/admin/tokens/").get_data(as_text=True)
    assert "nightly export" in listing and token.group(1) not in listing, "shown once, never listed"
    token_id = re.search(r"/admin/tokens/(\d+)/revoke", listing)
    assert token_id
    revoked = admin.post(
        f"/admin/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf(admin, "/admin/tokens/")}
    )
    assert revoked.status_code == 302
    assert api.get("/api/v1/connections", headers=headers).status_code == 401
