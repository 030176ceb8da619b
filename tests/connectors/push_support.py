"""Helpers for the cohort push tests: connections, deliveries as the providers shape them, and what landed."""

from __future__ import annotations

import base64
from typing import Any

import sqlalchemy as sa
from flask import Flask

from hub.cohorts import lease
from hub.db import db, utcnow
from hub.models import Cohort, CohortMember, Event, PushDelivery, Run
from tests.inbound.support import add_connection, dumps

PROJECT = 2_900_077


def mixpanel_connection(app: Flask, **values: Any) -> tuple[int, str]:
    """A Mixpanel connection on PROJECT; returns its id and the generated webhook password."""
    connection_id, generated = add_connection(app, "mixpanel", "mp", **{"project_id": PROJECT, **values})
    return connection_id, str(generated.get("webhook_password", values.get("webhook_password")))


def amplitude_connection(app: Flask, **values: Any) -> tuple[int, str]:
    """An Amplitude connection; returns its id and the generated webhook secret."""
    connection_id, generated = add_connection(app, "amplitude", "amp", **values)
    return connection_id, str(generated.get("webhook_secret", values.get("webhook_secret")))


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def person(index: int, **extra: Any) -> dict[str, Any]:
    """A member as Mixpanel's cohort sync names one."""
    return {
        "email": f"p{index}@example.com",
        "mixpanel_distinct_id": f"d-{index}",
        "first_name": "Ada",
        "last_name": f"No{index}",
        **extra,
    }


def mixpanel_body(
    action: str,
    members: list[dict[str, Any]],
    *,
    session: str = "s-1",
    page: int = 1,
    pages: int = 1,
    cohort: str = "31001",
) -> dict[str, Any]:
    return {
        "action": action,
        "parameters": {
            "mixpanel_project_id": str(PROJECT),
            "mixpanel_cohort_name": "Power users",
            "mixpanel_cohort_id": cohort,
            "mixpanel_cohort_description": "",
            "mixpanel_session_id": session,
            "page_info": {"total_pages": pages, "page_count": page},
            "members": members,
        },
    }


def amplitude_body(
    in_cohort: bool, user_ids: list[str], *, message_id: str = "m-1", cohort: str = "abc1234"
) -> dict[str, Any]:
    return {
        "cohort_name": "Churn risk",
        "cohort_id": cohort,
        "in_cohort": in_cohort,
        "computed_time": "1767225600",
        "message_id": message_id,
        "users": [
            {"user_id": uid, "user_properties": {"email": f"{uid}@example.com", "plan": "pro"}}
            for uid in user_ids
        ],
    }


def drain(app: Flask) -> None:
    backend = app.extensions["journeyhub.jobs"]
    assert backend.drain(timeout=60), "jobs did not finish"
    assert not backend.failures, list(backend.failures)


def cohort_id(app: Flask, connection_id: int, source_ref: str) -> int | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(Cohort.id).where(Cohort.connection_id == connection_id, Cohort.source_ref == source_ref)
        )


def members(app: Flask, connection_id: int, source_ref: str) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(
                sa.select(CohortMember.member_ref)
                .join(Cohort, Cohort.id == CohortMember.cohort_id)
                .where(Cohort.connection_id == connection_id, Cohort.source_ref == source_ref)
            )
        )


def events(app: Flask, connection_id: int) -> list[tuple[str, str]]:
    """(name, member ref) of the connection's cohort events, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Event).where(Event.connection_id == connection_id).order_by(Event.id)
        )
        return [(e.name, e.properties["member_ref"]) for e in rows]


def tally(app: Flask) -> dict[str, int]:
    """Rows of every table a push may write: a refused delivery changes none of them."""
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (PushDelivery, Cohort, CohortMember, Event)
        } | {
            "push_runs": db.session.scalar(
                sa.select(sa.func.count()).select_from(Run).where(Run.kind == "cohort_push")
            )
            or 0
        }


MIXPANEL_SUCCESS = {"status": "success"}


def post_mixpanel(app: Flask, connection_id: int, body: Any, headers: dict[str, str]) -> Any:
    """A Mixpanel cohort-sync request to /hooks/mixpanel/<id>, through the test client."""
    data = body if isinstance(body, bytes) else dumps(body)
    return app.test_client().post(
        f"/hooks/mixpanel/{connection_id}", data=data, headers={**headers, "Content-Type": "application/json"}
    )


def assert_mixpanel_failure(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Mixpanel's failure shape, our error object inside it (code, message, details)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"action", "status", "error"} and response.json["status"] == "failure"
    error: dict[str, Any] = response.json["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    if field is not None:
        assert field in [d["field"] for d in error["details"]], error
    return error


def replaced(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`body` with the value at `path` (dotted, list indexes as numbers; "~" deletes) replaced."""
    *parents, last = path.split(".")
    node: Any = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value == "~":
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def hold_cohort(app: Flask, connection_id: int, source_ref: str) -> tuple[int, str]:
    """Takes the cohort's lease, as a running pull does: its id and the lease token."""
    the_cohort = cohort_id(app, connection_id, source_ref)
    assert the_cohort is not None
    with app.app_context():
        token = lease.claim(db.session, the_cohort, utcnow())
        db.session.commit()
    assert token is not None
    return the_cohort, token
