"""Saving campaigns: the checks only the database can make, then the validated JSON."""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import db, utcnow
from hub.models import Campaign, Connection, Recipe
from recipes.campaigns.schema import CHANNEL_CONNECTORS, CampaignIn
from recipes.engine.problems import Problem
from recipes.engine.templates import INVITE_VARIABLES, template_problem


def check_campaign(body: CampaignIn) -> None:
    """Problem naming the first field that cannot work: a template, or the delivering connection."""
    for field in ("subject", "body"):
        problem = template_problem(getattr(body, field), INVITE_VARIABLES)
        if problem:
            raise Problem("invalid_template", field, problem)
    if body.connection_id is not None:
        connection = db.session.get(Connection, body.connection_id)
        if connection is None:
            raise Problem("unknown_connection", "connection_id", f"no connection {body.connection_id}")
        wanted = CHANNEL_CONNECTORS[body.channel]
        if connection.connector != wanted:
            message = f"the {body.channel} channel is delivered by a {wanted} connection, not {connection.connector}"
            raise Problem("wrong_connection", "connection_id", message)


def save_campaign(body: CampaignIn, campaign: Campaign | None = None) -> Campaign:
    check_campaign(body)
    campaign = campaign or Campaign()
    campaign.name = body.name
    campaign.definition = body.model_dump(mode="json")
    campaign.updated_at = utcnow()
    db.session.add(campaign)
    db.session.commit()
    return campaign


def delete_campaign(campaign: Campaign) -> None:
    """A campaign a recipe still invites to stays: deleting it would orphan the recipe."""
    used = db.session.scalar(sa.select(Recipe.id).where(Recipe.campaign_id == campaign.id).limit(1))
    if used is not None:
        raise Problem("in_use", "campaign_id", f"recipe {used} invites to this campaign", status=409)
    db.session.delete(campaign)
    db.session.commit()
