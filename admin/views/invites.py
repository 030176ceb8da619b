"""Invites: who was asked, by which recipe and campaign, and where each one stands."""

from __future__ import annotations

from typing import Any

from admin.base import ReadOnlyView, badge, details_link
from admin.filters import when
from hub.models import Invite


class InviteView(ReadOnlyView):
    column_list = ("id", "status", "profile_id", "campaign_id", "recipe_id", "event_id", "due_at", "sent_at")
    column_filters = ("status", "campaign_id", "recipe_id", "profile_id", *when(Invite.due_at, "Due"))
    column_labels = {
        "profile_id": "Profile",
        "campaign_id": "Campaign",
        "recipe_id": "Recipe",
        "event_id": "Event",
    }
    column_formatters: dict[str, Any] = {
        "status": lambda v, c, m, p: badge(m.status),
        "profile_id": lambda v, c, m, p: details_link("profile", m.profile_id),
        "campaign_id": lambda v, c, m, p: details_link("campaign", m.campaign_id),
        "event_id": lambda v, c, m, p: details_link("event", m.event_id),
    }

    def __init__(self) -> None:
        super().__init__(Invite, "Invites", "Research", endpoint="invite")
