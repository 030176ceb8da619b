"""In production the synthesis job goes to RQ after the result commits, and a real worker runs it."""

from __future__ import annotations

from flask import Flask
from rq import SimpleWorker

from hub.api.auth import create_token
from hub.db import db
from tests.insights.support import World, result


def test_synthesis_runs_on_an_rq_worker(rq_app: Flask) -> None:
    api = rq_app.test_client()
    with rq_app.app_context():
        token = create_token("tests")
        db.session.commit()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    world = World(rq_app, api)
    world.send(result(world.invite()))
    backend = rq_app.extensions["journeyhub.jobs"]
    [job] = backend.queue.get_jobs()
    assert job.func_name == "recipes.insights.jobs.synthesise"
    assert world.rows()[0].synthesis_status == "pending"
    with rq_app.app_context():
        SimpleWorker([backend.queue], connection=backend.redis).work(burst=True)
    [row] = world.rows()
    assert row.synthesis_status == "done" and row.themes
