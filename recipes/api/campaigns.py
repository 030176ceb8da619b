"""Campaigns: what an invite says and which connection carries it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from flask.views import MethodView

from hub.api.common import Page, get_or_404
from hub.api.pagination import PageQuery, page
from hub.api.spec import BODY, BY_ID, answers, spec
from hub.models import Campaign
from recipes.api.body import parsed, refused
from recipes.api.common import deleted, envelope
from recipes.campaigns.schema import CampaignIn
from recipes.campaigns.service import delete_campaign, save_campaign
from recipes.engine.problems import Problem

bp = Blueprint("campaigns", __name__)


class CampaignOut(CampaignIn):
    id: int
    created_at: datetime
    updated_at: datetime


def render(campaign: Campaign) -> dict[str, Any]:
    return CampaignOut.model_validate(envelope(campaign)).model_dump(mode="json")


def _saved(campaign: Campaign | None) -> dict[str, Any]:
    try:
        return render(save_campaign(parsed(CampaignIn), campaign))
    except Problem as problem:
        raise refused(problem) from None


@bp.get("/campaigns")
@spec.validate(query=PageQuery, resp=answers(200, Page[CampaignOut]), tags=["campaigns"])
def list_campaigns() -> dict[str, Any]:
    query: PageQuery = request.context.query  # type: ignore[attr-defined]
    return page(sa.select(Campaign), Campaign.id, query, render)


@bp.post("/campaigns")
@spec.validate(
    json=CampaignIn, skip_validation=True, resp=answers(201, CampaignOut, *BODY), tags=["campaigns"]
)
def add_campaign() -> tuple[dict[str, Any], int]:
    return _saved(None), 201


class CampaignItem(MethodView):
    """One campaign: read, replace (PUT) or delete; one rule, so an id out of range is 404 for every method."""

    @spec.validate(resp=answers(200, CampaignOut, *BY_ID), tags=["campaigns"])
    def get(self, campaign_id: int) -> dict[str, Any]:
        return render(get_or_404(Campaign, campaign_id))

    @spec.validate(
        json=CampaignIn,
        skip_validation=True,
        resp=answers(200, CampaignOut, *BY_ID, *BODY),
        tags=["campaigns"],
    )
    def put(self, campaign_id: int) -> dict[str, Any]:
        return _saved(get_or_404(Campaign, campaign_id))

    @spec.validate(resp=deleted(), tags=["campaigns"])
    def delete(self, campaign_id: int) -> tuple[str, int]:
        try:
            delete_campaign(get_or_404(Campaign, campaign_id))
        except Problem as problem:
            raise refused(problem) from None
        return "", 204


bp.add_url_rule("/campaigns/<id:campaign_id>", view_func=CampaignItem.as_view("campaign"))
