"""One `/hooks/<connector>/<id>` route for every webhook connector: lookups and what follows a 200.

A 200 promises the sender its events are committed and handed to evaluation; a 404 must
not reveal more than "no such webhook", whatever the mismatch.
"""

from __future__ import annotations

import redis
import sqlalchemy as sa
from flask import Flask
from rq import Queue

from hub.db import db
from hub.models import Event
from hub.runtime.jobs import QUEUE_NAME
from tests.inbound.support import EMPTY, add_connection, counts, dumps, standard_headers

BODY = dumps({"event": "signed_up", "user_id": "u-1"})


def test_unknown_or_mismatched_connections_answer_404(app: Flask) -> None:
    generic_id, generated = add_connection(app, "generic")
    tracking_id, _ = add_connection(app, "tracking")
    hubspot_id, _ = add_connection(app, "hubspot", client_secret="s3cret")
    headers = standard_headers(generated["secret"], BODY, "m")
    client = app.test_client()
    for path in (
        f"/hooks/generic/{generic_id + 100}",
        f"/hooks/hubspot/{generic_id}",
        f"/hooks/generic/{hubspot_id}",
        f"/hooks/nosuchthing/{generic_id}",
        f"/hooks/tracking/{tracking_id}",
    ):
        response = client.post(path, data=BODY, headers=headers)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"
    assert client.post("/hooks/generic/abc", data=BODY, headers=headers).status_code == 404
    assert client.get(f"/hooks/generic/{generic_id}").status_code == 405
    assert counts(app) == EMPTY


def test_a_200_means_committed_and_handed_to_evaluation(rq_app: Flask, redis_server) -> None:  # type: ignore[no-untyped-def]
    connection_id, generated = add_connection(rq_app, "generic")
    client = rq_app.test_client()
    refused = client.post(f"/hooks/generic/{connection_id}", data=BODY, headers={"webhook-id": "x"})
    assert refused.status_code == 401
    queue = Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_server.url))
    assert queue.count == 0
    response = client.post(
        f"/hooks/generic/{connection_id}",
        data=BODY,
        headers=standard_headers(generated["secret"], BODY, "m1"),
    )
    assert response.status_code == 200
    with rq_app.app_context():
        engine = sa.create_engine(db.engine.url)
    with engine.connect() as other:  # a separate connection sees only what was committed
        event_ids = list(other.scalars(sa.select(Event.id)))
    engine.dispose()
    assert len(event_ids) == 1
    (job,) = queue.get_jobs()
    assert (job.func_name, job.args) == ("recipes.evaluate.evaluate_events", (event_ids,))
    duplicate = client.post(
        f"/hooks/generic/{connection_id}",
        data=BODY,
        headers=standard_headers(generated["secret"], BODY, "m1"),
    )
    assert duplicate.json["duplicates"] == 1
    assert queue.count == 1
