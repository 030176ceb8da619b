"""The one door from the hub into recipes: the API's blueprints and the periodic jobs.

The hub must not know the engine's insides; hub.api registers `BLUEPRINTS` and
hub.runtime.schedule runs each of `PERIODIC` (a job, seconds between runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recipes.api import campaigns, eligibility, recipes, suppression, trials
from recipes.periodic import fire_windows, retry_deferrals, sweep

BLUEPRINTS = (campaigns.bp, eligibility.bp, recipes.bp, suppression.bp, trials.bp)
PERIODIC: tuple[tuple[Callable[[], Any], int], ...] = (
    (sweep, 60),
    (fire_windows, 60),
    (retry_deferrals, 300),
)
