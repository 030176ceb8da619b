"""Campaigns: the list, and a preview of one invite as a person would receive it.

The preview renders through recipes.campaigns.render, the same code that writes real invites,
over a sample person (or a real profile given as `?profile_id=`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, request
from flask_admin import expose

from admin.base import ReadOnlyView
from hub.db import db
from hub.models import Campaign, Connection, Profile
from recipes.campaigns.render import RenderProblem, invite_context, render

SAMPLE_TRAITS = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "plan": "pro"}
SAMPLE_LINK = "https://journeyhub.example/i/preview-token"


class CampaignView(ReadOnlyView):
    column_list = ("id", "name", "created_at", "updated_at")
    column_searchable_list = ("name",)
    details_template = "jh/campaign.html"

    def __init__(self) -> None:
        super().__init__(Campaign, "Campaigns", "Research", endpoint="campaign")

    @expose("/details/")
    def details_view(self) -> Any:
        campaign_id = request.args.get("id", "")
        campaign = db.session.get(Campaign, int(campaign_id)) if campaign_id.isdigit() else None
        if campaign is None:
            abort(404)
        profile_id = request.args.get("profile_id", "")
        profile = db.session.get(Profile, int(profile_id)) if profile_id.isdigit() else None
        traits = dict(profile.traits) if profile else SAMPLE_TRAITS
        definition = campaign.definition
        variables = {
            "profile": {"id": profile.id if profile else 0, "email": traits.get("email"), "traits": traits},
            "traits": traits,
            "event": {"name": "sample_event", "properties": {}},
            "campaign": {"id": campaign.id, "name": campaign.name, **definition},
        }
        try:
            preview, problem = render(definition, variables, SAMPLE_LINK, SAMPLE_LINK + "/unsubscribe"), None
        except RenderProblem as exc:
            preview, problem = None, str(exc)
        context = invite_context(list(definition.get("context", [])), traits, "sample_event", None)
        opens = f"{definition.get('interview_url', '')}?{urlencode(context)}"
        return self.render(
            self.details_template,
            model=campaign,
            definition=definition,
            preview=preview,
            problem=problem,
            opens=opens,
            profile=profile,
            connection=_connection(definition.get("connection_id")),
            return_url=self.get_url(".index_view"),
        )


def _connection(connection_id: object) -> Connection | None:
    return db.session.get(Connection, connection_id) if isinstance(connection_id, int) else None
