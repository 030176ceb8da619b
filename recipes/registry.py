"""The one door from the hub into recipes: the API's blueprints, the periodic jobs and handlers.

The hub must not know the engine's insides; hub.api registers `BLUEPRINTS`,
hub.runtime.schedule runs each of `PERIODIC` (a job, seconds between runs), and
hub.inbound.results hands interview results to `RESULTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.outbox.types import Handler
from recipes.actions.enqueue import KIND as ACTION
from recipes.actions.handler import ActionHandler
from recipes.api import campaigns, eligibility, invites, recipes, suppression, trials, workspace
from recipes.campaigns import pages
from recipes.campaigns.delivery import InviteHandler
from recipes.campaigns.queue import KIND as INVITE
from recipes.campaigns.queue import deliver_due_invites
from recipes.insights.api import ask, findings, results, synthesis
from recipes.insights.intake import store_results
from recipes.insights.jobs import synthesise_pending
from recipes.journeys.api import history as journey_history
from recipes.journeys.api import journeys
from recipes.journeys.jobs import TICK_S as JOURNEY_TICK_S
from recipes.journeys.jobs import snapshot_due_journeys
from recipes.periodic import fire_windows, retry_deferrals, sweep

BLUEPRINTS = (
    campaigns.bp,
    eligibility.bp,
    invites.bp,
    recipes.bp,
    suppression.bp,
    trials.bp,
    results.bp,
    findings.bp,
    synthesis.bp,
    ask.bp,
    workspace.bp,
    journeys.bp,
    journey_history.bp,
)
PERIODIC: tuple[tuple[Callable[[], Any], int], ...] = (
    (sweep, 60),
    (fire_windows, 60),
    (retry_deferrals, 300),
    (deliver_due_invites, 30),
    (synthesise_pending, 300),
    (snapshot_due_journeys, JOURNEY_TICK_S),
)
RESULTS = store_results
"""Stores interview results (connectors.sdk.results) in the request's transaction."""
PAGES = (pages.bp,)
"""Public pages outside the API (the invite and unsubscribe links), registered on the app by hub.api."""
OUTBOX_HANDLERS: dict[str, Handler] = {INVITE: InviteHandler(), ACTION: ActionHandler()}
"""Who sends each kind of outbox row (hub.outbox.handlers)."""
