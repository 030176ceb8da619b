"""Interview results with their themes, sentiment and quotes; the transcript on the details page."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from admin.base import ReadOnlyView, badge, details_link
from admin.filters import when
from hub.models import InterviewResult


def turn_quotes(items: list[dict[str, Any]]) -> Markup:
    """The result's quotes, each linked to its turn in the transcript below."""
    return Markup("").join(
        Markup('<blockquote class="jh-quote mb-1"><a href="#turn-{}">“{}”</a></blockquote>').format(
            q.get("turn", 0), q.get("text", "")
        )
        if isinstance(q.get("turn"), int)
        else Markup('<blockquote class="jh-quote mb-1">“{}”</blockquote>').format(q.get("text", ""))
        for q in items
    )


def themes(items: list[dict[str, Any]]) -> Markup:
    return Markup(" ").join(
        Markup('<span class="badge badge-light">{}</span>').format(t.get("label", "")) for t in items
    )


def transcript(turns: list[dict[str, Any]]) -> Markup:
    """Each turn is an anchor (`#turn-3`), so a quote can link to the moment it was said."""
    return Markup("").join(
        Markup("<p class='mb-1' id='turn-{}'><strong>{}:</strong> {}</p>").format(
            n, t.get("speaker", ""), t.get("text", "")
        )
        for n, t in enumerate(turns)
    )


class ResultView(ReadOnlyView):
    column_list = (
        "id",
        "completed_at",
        "profile_id",
        "recipe_id",
        "themes",
        "sentiment_label",
        "quality",
        "synthesis_status",
    )
    column_details_list = (
        "id",
        "external_id",
        "completed_at",
        "profile_id",
        "invite_id",
        "recipe_id",
        "campaign_id",
        "themes",
        "sentiment_label",
        "sentiment_score",
        "quality",
        "quality_reason",
        "quotes",
        "transcript",
        "synthesis_status",
        "synthesis_note",
    )
    column_filters = (
        "synthesis_status",
        "sentiment_label",
        "recipe_id",
        "campaign_id",
        "profile_id",
        *when(InterviewResult.completed_at, "Completed"),
    )
    column_labels = {
        "profile_id": "Profile",
        "recipe_id": "Recipe",
        "campaign_id": "Campaign",
        "invite_id": "Invite",
        "sentiment_label": "Sentiment",
        "synthesis_status": "Synthesis",
    }
    column_formatters: dict[str, Any] = {
        "profile_id": lambda v, c, m, p: details_link("profile", m.profile_id),
        "campaign_id": lambda v, c, m, p: details_link("campaign", m.campaign_id),
        "invite_id": lambda v, c, m, p: details_link("invite", m.invite_id),
        "themes": lambda v, c, m, p: themes(m.themes),
        "synthesis_status": lambda v, c, m, p: badge(m.synthesis_status),
    }
    column_formatters_detail: dict[str, Any] = {
        **column_formatters,
        "quotes": lambda v, c, m, p: turn_quotes(m.quotes),
        "transcript": lambda v, c, m, p: transcript(m.transcript),
    }

    def __init__(self) -> None:
        super().__init__(InterviewResult, "Results", "Research", endpoint="result")
