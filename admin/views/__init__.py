"""Every admin page, in menu order; a new page is a module and one line here.

Menu categories: Data (what came in), Research (what people were asked and said), Operations
(what the hub did), Settings. Part 2 adds Recipes and Journeys as top-level entries.
"""

from __future__ import annotations

from flask_admin import Admin

from admin.ask import AskView
from admin.builder import RecipesView
from admin.journeys import JourneysView
from admin.views.campaigns import CampaignView
from admin.views.cohorts import CohortView
from admin.views.connections import ConnectionView
from admin.views.events import EventView
from admin.views.findings import FindingView
from admin.views.invites import InviteView
from admin.views.outbox import OutboxView
from admin.views.profiles import ProfileView
from admin.views.results import ResultView
from admin.views.runs import RunView
from admin.views.tokens import TokensView


def register(admin: Admin) -> None:
    for view in (
        RecipesView(name="Recipes", endpoint="recipes", url="/admin/recipes"),
        JourneysView(name="Journeys", endpoint="journeys", url="/admin/journeys"),
        AskView(name="Ask", endpoint="ask", url="/admin/ask"),
        ConnectionView(),
        CohortView(),
        EventView(),
        ProfileView(),
        CampaignView(),
        InviteView(),
        ResultView(),
        FindingView(),
        OutboxView(),
        RunView(),
        TokensView(name="API tokens", category="Settings", endpoint="tokens", url="/admin/tokens"),
    ):
        admin.add_view(view)
