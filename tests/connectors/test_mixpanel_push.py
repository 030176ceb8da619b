"""Mixpanel's cohort sync pushed to /hooks/mixpanel/<id>, on SQLite and PostgreSQL: what it changes.

Pages of a `members` session become one snapshot, diffed like a pull only once all arrived;
`add_members` / `remove_members` are increments; a redelivery changes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub.db import db
from hub.models import Cohort, Run
from tests.connectors.push_support import (
    MIXPANEL_SUCCESS,
    drain,
    events,
    members,
    mixpanel_body,
    person,
    post_mixpanel,
    tally,
)


def test_pages_out_of_order_become_one_snapshot_diffed_like_a_pull(app: Flask, mixpanel_hook: Any) -> None:
    connection_id, auth = mixpanel_hook
    pages = {n: [person(2 * n), person(2 * n + 1)] for n in (1, 2, 3)}
    for n in (3, 1, 2):
        answer = post_mixpanel(app, connection_id, mixpanel_body("members", pages[n], page=n, pages=3), auth)
        assert answer.status_code == 200 and answer.json == {"action": "members", **MIXPANEL_SUCCESS}
    drain(app)
    assert members(app, connection_id, "31001") == {f"d-{i}" for i in range(2, 8)}
    assert sorted(events(app, connection_id)) == sorted(("cohort_entered", f"d-{i}") for i in range(2, 8))
    with app.app_context():
        cohort = db.session.scalars(sa.select(Cohort)).one()
        run = db.session.scalars(sa.select(Run).where(Run.kind == "cohort_push")).one()
        assert (cohort.name, cohort.member_count, cohort.next_sync_at) == ("Power users", 6, None)
        assert run.status == "succeeded"
        assert {k: run.stats[k] for k in ("kind", "deliveries", "entered", "exited", "members")} == {
            "kind": "snapshot", "deliveries": 3, "entered": 6, "exited": 0, "members": 6,
        }  # fmt: skip


def test_a_session_missing_a_page_changes_nothing_until_it_arrives(app: Flask, mixpanel_hook: Any) -> None:
    connection_id, auth = mixpanel_hook
    for n in (1, 2):
        assert (
            post_mixpanel(
                app, connection_id, mixpanel_body("members", [person(n)], page=n, pages=3), auth
            ).status_code
            == 200
        )
    drain(app)
    before = tally(app)
    assert members(app, connection_id, "31001") == set() and events(app, connection_id) == []
    assert before["push_runs"] == 0 and before["push_deliveries"] == 2
    assert (
        post_mixpanel(
            app, connection_id, mixpanel_body("members", [person(3)], page=3, pages=3), auth
        ).status_code
        == 200
    )
    drain(app)
    assert members(app, connection_id, "31001") == {"d-1", "d-2", "d-3"}


def test_a_new_snapshot_replaces_the_membership_and_an_unfinished_one_is_superseded(
    app: Flask, mixpanel_hook: Any
) -> None:
    connection_id, auth = mixpanel_hook
    post_mixpanel(app, connection_id, mixpanel_body("members", [person(1), person(2)], session="a"), auth)
    post_mixpanel(app, connection_id, mixpanel_body("members", [person(9)], session="dead", pages=2), auth)
    post_mixpanel(app, connection_id, mixpanel_body("members", [person(2), person(3)], session="b"), auth)
    drain(app)
    assert members(app, connection_id, "31001") == {"d-2", "d-3"}
    assert events(app, connection_id)[2:] == [("cohort_exited", "d-1"), ("cohort_entered", "d-3")]
    with app.app_context():
        statuses = db.session.execute(
            sa.text("SELECT session, status FROM push_deliveries ORDER BY id")
        ).all()
    assert [tuple(row) for row in statuses] == [("a", "applied"), ("dead", "superseded"), ("b", "applied")]


def test_a_snapshot_still_missing_pages_is_given_up_once_a_later_change_is_applied(
    app: Flask, mixpanel_hook: Any
) -> None:
    connection_id, auth = mixpanel_hook
    post_mixpanel(app, connection_id, mixpanel_body("members", [person(1)], session="whole"), auth)
    post_mixpanel(app, connection_id, mixpanel_body("members", [person(5)], session="cut", pages=2), auth)
    post_mixpanel(app, connection_id, mixpanel_body("add_members", [person(2)], session="later"), auth)
    drain(app)
    late = mixpanel_body("members", [person(6)], session="cut", page=2, pages=2)
    assert post_mixpanel(app, connection_id, late, auth).status_code == 200
    drain(app)
    assert members(app, connection_id, "31001") == {"d-1", "d-2"}  # not {"d-5", "d-6"}
    with app.app_context():
        statuses = db.session.execute(
            sa.text("SELECT session, status FROM push_deliveries ORDER BY id")
        ).all()
    assert [tuple(row) for row in statuses] == [
        ("whole", "applied"), ("cut", "superseded"), ("later", "applied"), ("cut", "pending"),
    ]  # fmt: skip


def test_increments_enter_and_leave_only_the_members_they_name(app: Flask, mixpanel_hook: Any) -> None:
    connection_id, auth = mixpanel_hook
    post_mixpanel(app, connection_id, mixpanel_body("members", [person(1), person(2)]), auth)
    drain(app)
    add = mixpanel_body("add_members", [person(2), person(3)], session="s-2")
    remove = mixpanel_body("remove_members", [person(1), person(7)], session="s-2")
    assert post_mixpanel(app, connection_id, add, auth).json == {"action": "add_members", **MIXPANEL_SUCCESS}
    assert post_mixpanel(app, connection_id, remove, auth).json == {
        "action": "remove_members",
        **MIXPANEL_SUCCESS,
    }
    empty = mixpanel_body("add_members", [], session="s-3")
    assert post_mixpanel(app, connection_id, empty, auth).json == {
        "action": "add_members",
        **MIXPANEL_SUCCESS,
    }
    drain(app)
    assert members(app, connection_id, "31001") == {"d-2", "d-3"}
    assert events(app, connection_id)[2:] == [("cohort_entered", "d-3"), ("cohort_exited", "d-1")]


def test_a_delivery_sent_twice_changes_nothing_the_second_time(app: Flask, mixpanel_hook: Any) -> None:
    connection_id, auth = mixpanel_hook
    bodies = [
        mixpanel_body("members", [person(1)], page=1, pages=2),
        mixpanel_body("members", [person(2)], page=2, pages=2),
        mixpanel_body("add_members", [person(3)], session="s-2"),
        mixpanel_body("remove_members", [person(1)], session="s-2"),
    ]
    for body in bodies:
        assert post_mixpanel(app, connection_id, body, auth).status_code == 200
    drain(app)
    once = (tally(app), events(app, connection_id), members(app, connection_id, "31001"))
    for body in bodies:  # Mixpanel resends after a failure it saw part-way
        assert post_mixpanel(app, connection_id, body, auth).json["status"] == "success"
    drain(app)
    assert (tally(app), events(app, connection_id), members(app, connection_id, "31001")) == once
    assert once[2] == {"d-2", "d-3"}
