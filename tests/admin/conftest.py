"""Signing in the way a browser does: read the form's CSRF token, post it with the password."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.db import db
from hub.models import AdminUser

EMAIL, PASSWORD = "ada@example.com", "correct horse battery"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def add_admin(app: Flask, email: str = EMAIL, password: str = PASSWORD) -> None:
    with app.app_context():
        user = AdminUser(email=email)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()


def csrf(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {url} ({page.status_code})"
    return found.group(1)


def sign_in(client: FlaskClient, email: str = EMAIL, password: str = PASSWORD) -> int:
    token = csrf(client, "/admin/login")
    answer = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})
    return answer.status_code


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    """A client signed in as an admin."""
    add_admin(app)
    assert sign_in(client) == 302
    return client
