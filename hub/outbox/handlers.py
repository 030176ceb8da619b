"""Which handler sends each kind of row: the domains register theirs in recipes.registry.

The hub knows no domain; it asks the one door into recipes for the table, so adding a kind
(result actions) is adding an entry there.
"""

from __future__ import annotations

from hub.outbox.types import Handler
from recipes.registry import OUTBOX_HANDLERS


def handler_for(kind: str) -> Handler | None:
    return OUTBOX_HANDLERS.get(kind)
