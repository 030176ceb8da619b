"""A Jira or Linear issue is made at most once per finding, even when the worker dies after the
provider made it and before our commit.

Real PostgreSQL and Redis, a real `journeyhub worker`. The connection points at a proxy in
front of the fake; the proxy passes the create request on, and once the fake has made the
issue it kills the RQ work-horse that sent it (SIGKILL, the process holding the socket)
before answering. So the issue exists and the outbox row was never marked. The row's lease
runs out, the worker's tick claims it again as tried before, the handler asks the provider
for the action's marker (Jira: a JQL label search; Linear: a description search) and finds
the issue instead of making a second one. A comment of the same finding, written afterwards,
then lands on that very issue.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from werkzeug.wrappers import Request

from connectors.jira.fake import JiraFake
from connectors.linear.fake import LinearFake
from connectors.registry import get_connector
from hub.connections import create_connection
from hub.db import db
from hub.models import Outbox
from hub.outbox.rows import NewRow, add
from recipes.actions.enqueue import KIND, finding_key
from tests.channels.conftest import Reply, Sink
from tests.delivery.test_crash import pg_rq_app, socket_owner, start_worker, wait_for  # noqa: F401 - a fixture

FINDING_ID = 41
Creates = Callable[[str, str, bytes], bool]
"""Whether a request (method, path, body) is the one that makes the issue."""
CREATES: dict[str, Creates] = {
    "jira": lambda method, path, body: (method, path) == ("POST", "/rest/api/2/issue"),
    "linear": lambda method, path, body: path == "/graphql" and b"issueCreate" in body,
}


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.stop()


def forward(
    target: str, creates: Creates, worker: Callable[[], int], killed: list[int]
) -> Callable[[Request], Reply]:
    """A proxy to `target` that kills the sender of the first create once the provider made it."""

    def reply(request: Request) -> Reply:
        query = request.query_string.decode()
        wanted = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        answer = requests.request(
            request.method,
            target + request.path + (f"?{query}" if query else ""),
            data=request.get_data(),
            headers=wanted,
            timeout=10,
        )
        if creates(request.method, request.path, request.get_data()) and not killed:
            horse = socket_owner(int(request.environ["REMOTE_PORT"]), worker())
            assert horse is not None, "the sending process was not found"
            os.kill(horse, signal.SIGKILL)
            killed.append(horse)
        return Reply(answer.status_code, answer.content, {"Content-Type": answer.headers["Content-Type"]})

    return reply


def action_row(connector: str, connection_id: int, change_id: int, operation: str) -> NewRow:
    """An `on: finding` action row as recipes/actions writes it in the synthesis transaction."""
    payload: dict[str, Any] = {
        "connection_id": connection_id,
        "on": "finding" if operation == "create_issue" else "finding_changed",
        "operation": operation,
        "finding_id": FINDING_ID,
        "change_id": change_id,
        "action": {
            "title": f"Finding: pricing too high (change {change_id})",
            "text": "Theme: pricing too high\nShare: 38% (16 of 42 interviews)",
            "link": f"https://hub.example.com/findings/{FINDING_ID}",
            "quotes": [
                {"text": "Too expensive", "url": "https://hub.example.com/results/3#t2", "result_id": 3}
            ],
            "fields": {},
        },
    }
    key = finding_key(FINDING_ID, connection_id, change_id, 0)
    return NewRow(kind=KIND, target=f"{connector}:{connection_id}", payload=payload, idempotency_key=key)


def queue(app: Flask, row: NewRow) -> str:
    with app.app_context():
        add(db.session, [row])
        db.session.commit()  # queues the drain job on RQ
    return row.idempotency_key


def status(app: Flask, key: str) -> Outbox:
    with app.app_context():
        row = db.session.scalar(sa.select(Outbox).where(Outbox.idempotency_key == key))
        assert row is not None
        db.session.expunge(row)
        return row


@pytest.mark.parametrize("connector", ["jira", "linear"])
def test_a_worker_killed_after_the_create_leaves_one_issue_and_the_comment_finds_it(
    pg_rq_app: Flask,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    sink: Sink,
    connector: str,
) -> None:
    app = pg_rq_app
    fake = get_connector(connector).fake()
    assert isinstance(fake, JiraFake | LinearFake)
    worker = start_worker(app, tmp_path)
    killed: list[int] = []
    sink.reply(*[forward(fake.base_url, CREATES[connector], lambda: worker.pid, killed)] * 50)
    try:
        with app.app_context():
            made = create_connection(connector, "research", {**fake.credentials, "base_url": sink.url})
            connection_id = made.connection.id
            db.session.commit()
        create = queue(app, action_row(connector, connection_id, 1, "create_issue"))
        wait_for(lambda: status(app, create).status == "sent", worker)
        comment = queue(app, action_row(connector, connection_id, 2, "comment"))
        wait_for(lambda: status(app, comment).status == "sent", worker)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        fake.stop()
    assert len(killed) == 1
    assert len(fake.issues) == 1, "the issue was made twice"
    (issue,) = fake.issues.values()
    creates = [seen for seen in sink.received if CREATES[connector](seen.method, seen.path, seen.body)]
    assert len(creates) == 1
    first = status(app, create)
    assert (first.status, first.attempts) == ("sent", 2)
    assert first.result is not None and first.result["found_by_lookup"] is True
    assert first.result["ref"] in (issue.get("key"), issue.get("id"))
    second = status(app, comment)
    assert second.result is not None and second.result["ref"] == first.result["ref"]
    assert second.result["operation"] == "comment" and len(issue["comments"]) == 1
