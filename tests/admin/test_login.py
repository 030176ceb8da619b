"""Sign-in: hashed passwords, CSRF on every form, careful cookies, a rate limit, and the one-time setup."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from admin.ratelimit import PER_ACCOUNT
from tests.admin.conftest import EMAIL, PASSWORD, add_admin, csrf, sign_in
from tests.conftest import close_app, make_app


def test_pages_need_a_signed_in_admin(app: Flask, client: FlaskClient) -> None:
    add_admin(app)
    for path in ("/admin/", "/admin/connection/", "/admin/outbox/", "/admin/tokens/"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"], path


def test_signing_in_and_out(app: Flask, client: FlaskClient) -> None:
    add_admin(app)
    token = csrf(client, "/admin/login")
    answer = client.post(
        "/admin/login?next=/admin/outbox/",
        data={"email": "ADA@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/outbox/"
    assert client.get("/admin/").status_code == 200
    token = csrf(client, "/admin/")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_a_wrong_password_is_refused_and_next_cannot_leave_the_site(app: Flask, client: FlaskClient) -> None:
    add_admin(app)
    assert sign_in(client, password="not the password") == 401
    token = csrf(client, "/admin/login")
    answer = client.post(
        "/admin/login?next=//evil.example/x", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.headers["Location"] == "/admin/"


def test_every_post_without_its_csrf_token_is_refused(app: Flask, admin: FlaskClient) -> None:
    for path in (
        "/admin/logout",
        "/admin/tokens/",
        "/admin/outbox/replay-dead",
        "/admin/connection/new/?connector=generic",
    ):
        assert admin.post(path, data={"name": "x"}).status_code == 400, path
    assert admin.get("/admin/").status_code == 200  # still signed in


def test_failed_sign_ins_are_limited_per_account(app: Flask, client: FlaskClient) -> None:
    add_admin(app)
    for _ in range(PER_ACCOUNT):
        assert sign_in(client, password="guess guess guess") == 401
    assert sign_in(client) == 429, "the right password waits too, or guessing would go on"
    assert sign_in(client, email="someone@example.com", password="guess") == 401, (
        "other accounts are not locked"
    )


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app: Flask) -> None:
    add_admin(app)
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        token = csrf(client, f"{base}/admin/login")
        answer = client.post(
            f"{base}/admin/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
            headers={"Referer": f"{base}/admin/login"},  # over https, Flask-WTF also checks the referrer
        )
        cookie = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_the_cookie_is_secure_when_the_public_address_is_https(tmp_path: Path, database_url: str) -> None:
    """A proxy that ends TLS hands the hub plain http; JOURNEYHUB_PUBLIC_URL says what people use."""
    app = make_app(tmp_path, database_url, JOURNEYHUB_PUBLIC_URL="https://research.example.com")
    try:
        add_admin(app)
        client = app.test_client()
        token = csrf(client, "/admin/login")
        answer = client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        cookie = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session="))
        assert "Secure" in cookie
    finally:
        close_app(app)


@pytest.fixture
def embedded(tmp_path: Path, sqlite_template: Path) -> Flask:
    """The embedded default: no DATABASE_URL, the SQLite file in JOURNEYHUB_HOME."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "journeyhub.db").write_bytes(sqlite_template.read_bytes())
    application = make_app(tmp_path, None)
    yield application
    close_app(application)


def test_the_first_visit_of_the_embedded_default_creates_the_first_admin_once(embedded: Flask) -> None:
    client = embedded.test_client()
    assert client.get("/admin/login").headers["Location"] == "/admin/setup"
    token = csrf(client, "/admin/setup")
    short = client.post(
        "/admin/setup", data={"email": EMAIL, "password": "short", "confirm": "short", "csrf_token": token}
    )
    assert short.status_code == 200 and "at least 10" in short.get_data(as_text=True)
    answer = client.post(
        "/admin/setup", data={"email": EMAIL, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    assert client.get("/admin/").status_code == 200, "signed in at once"
    assert client.get("/admin/setup").status_code == 404, "the page is gone"
    assert embedded.test_client().get("/admin/setup").status_code == 404


def test_a_configured_database_has_no_setup_page(app: Flask, client: FlaskClient) -> None:
    assert client.get("/admin/setup").status_code == 404
    assert client.get("/admin/login").status_code == 200
