"""Mixpanel cohort-sync pushes refused: wrong credentials, malformed and hostile bodies each
get Mixpanel's own failure shape and store nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.connectors.push_support import (
    assert_mixpanel_failure,
    basic,
    drain,
    mixpanel_body,
    mixpanel_connection,
    person,
    post_mixpanel,
    replaced,
    tally,
)


@pytest.mark.parametrize("damage", ["none", "wrong password", "wrong user", "not base64", "bearer"])
def test_wrong_credentials_are_401_and_store_nothing(app: Flask, damage: str) -> None:
    connection_id, password = mixpanel_connection(app)
    headers = {
        "none": {},
        "wrong password": basic("mixpanel", password + "x"),
        "wrong user": basic("someone", password),
        "not base64": {"Authorization": "Basic not-base64!"},
        "bearer": {"Authorization": f"Bearer {password}"},
    }[damage]
    answer = post_mixpanel(app, connection_id, mixpanel_body("members", [person(1)]), headers)
    assert assert_mixpanel_failure(answer, 401)["code"] == "invalid_signature"
    assert answer.json["action"] == "members"
    drain(app)
    assert tally(app) == {k: 0 for k in tally(app)}


def test_the_pair_set_on_the_connection_is_the_one_checked(app: Flask) -> None:
    connection_id, _ = mixpanel_connection(app, webhook_username="mp-sync", webhook_password="s3cret-pair")
    body = mixpanel_body("members", [person(1)])
    assert post_mixpanel(app, connection_id, body, basic("mp-sync", "s3cret-pair")).status_code == 200
    assert_mixpanel_failure(post_mixpanel(app, connection_id, body, basic("mixpanel", "s3cret-pair")), 401)


def broken(path: str, value: Any) -> dict[str, Any]:
    """A valid members page with the value at `path` replaced (see `replaced`)."""
    return replaced(mixpanel_body("members", [person(1), person(2)], page=1, pages=2), path, value)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("action", "~", "action"),
        ("action", "members_v2", "action"),
        ("action", ["members"], "action"),
        ("parameters", [], "parameters"),
        ("parameters.mixpanel_cohort_id", "~", "parameters.mixpanel_cohort_id"),
        ("parameters.mixpanel_cohort_id", {"id": 1}, "parameters.mixpanel_cohort_id"),
        ("parameters.mixpanel_cohort_id", "x" * 101, "parameters.mixpanel_cohort_id"),
        ("parameters.mixpanel_session_id", "~", "parameters.mixpanel_session_id"),
        ("parameters.mixpanel_project_id", "123", "parameters.mixpanel_project_id"),
        ("parameters.mixpanel_cohort_name", 5, "parameters.mixpanel_cohort_name"),
        ("parameters.page_info", "~", "parameters.page_info"),
        ("parameters.page_info.page_count", 3, "parameters.page_info.page_count"),
        ("parameters.page_info.page_count", "1", "parameters.page_info.page_count"),
        ("parameters.page_info.total_pages", -1, "parameters.page_info.total_pages"),
        ("parameters.page_info.total_pages", 10**20, "parameters.page_info.total_pages"),
        ("parameters.members", {"a": 1}, "parameters.members"),
        ("parameters.members.1", "d-9", "parameters.members.1"),
        ("parameters.members.1.email", {"x": 1}, "parameters.members.1.email"),
        ("parameters.members.1.mixpanel_distinct_id", "d" * 300, "parameters.members.1.mixpanel_distinct_id"),
        ("parameters.members.0.first_name", "a\udc00", "parameters.members.0.first_name"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field_and_store_nothing(
    app: Flask, mixpanel_hook: Any, path: str, value: Any, field: str
) -> None:
    connection_id, auth = mixpanel_hook
    assert_mixpanel_failure(post_mixpanel(app, connection_id, broken(path, value), auth), 400, field)
    drain(app)
    assert tally(app) == {k: 0 for k in tally(app)}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64 levels"),
        (b'{"action": "members", "parameters": {"n": NaN}}', "NaN is not a JSON number"),
        (b'{"action": "members", "parameters": {"n": 1e400}}', "out of range"),
        (b'{"action": "members\xed\xa0\x80"}', "not UTF-8"),
        (b"", "empty"),
        (b'"members"', "must be an object"),
    ],
)
def test_hostile_bodies_are_400_in_mixpanel_shape(
    app: Flask, mixpanel_hook: Any, body: bytes, reason: str
) -> None:
    connection_id, auth = mixpanel_hook
    error = assert_mixpanel_failure(post_mixpanel(app, connection_id, body, auth), 400, "(body)")
    assert reason in error["message"]
    assert tally(app) == {k: 0 for k in tally(app)}
