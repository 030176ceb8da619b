"""Ending an app context does no async work: Flask would run it through asgiref, a new thread each time."""

from __future__ import annotations

import inspect

from flask import Flask


def test_no_coroutine_runs_when_a_context_ends(app: Flask) -> None:
    teardowns = app.teardown_appcontext_funcs
    assert teardowns, "the session must still be closed at teardown"
    assert not [f for f in teardowns if inspect.iscoroutinefunction(f)]
