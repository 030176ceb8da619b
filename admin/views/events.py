"""Events: searched by name or external id, filtered by name, connection, person and time."""

from __future__ import annotations

from typing import Any

from admin.base import ReadOnlyView, details_link
from admin.filters import when
from hub.models import Event


class EventView(ReadOnlyView):
    simple_list_pager = True
    """No count(*) over the biggest table: the pager only knows whether there is a next page."""
    column_list = ("id", "name", "connection_id", "profile_id", "external_id", "occurred_at", "received_at")
    column_searchable_list = ("name", "external_id")
    column_filters = ("name", "connection_id", "profile_id", *when(Event.occurred_at, "Occurred"))
    column_labels = {"connection_id": "Connection", "profile_id": "Profile"}
    column_formatters: dict[str, Any] = {
        "connection_id": lambda v, c, m, p: details_link("connection", m.connection_id),
        "profile_id": lambda v, c, m, p: details_link("profile", m.profile_id),
    }

    def __init__(self) -> None:
        super().__init__(Event, "Events", "Data", endpoint="event")
