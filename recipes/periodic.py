"""The recipe engine's periodic jobs, run by RQ's cron or the in-process tick (hub.runtime.schedule)."""

from __future__ import annotations

from hub.db import db
from hub.runtime.jobs import job
from recipes.engine.deferred import retry_deferred
from recipes.engine.sweep import sweep_unevaluated
from recipes.engine.windows import fire_closed_windows


@job
def sweep() -> int:
    """Evaluates events the after-commit job never reached; answers how many."""
    return sweep_unevaluated(db.session).events


@job
def fire_windows() -> int:
    """Fires "N days after X" and "X without Y" triggers whose windows have closed."""
    return fire_closed_windows(db.session).decisions


@job
def retry_deferrals() -> int:
    """Tries deferred invites again once their day has passed."""
    return retry_deferred(db.session).decisions
