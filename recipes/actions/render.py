"""An action's words: the recipe's field templates rendered in the sandbox, and the hub's own
title, text, link and quotes, from the finding or result as it was when the action was decided.

Rendered once, when the action is written to the outbox, so every attempt carries the same
words, and a later change of the finding is its own action, not a rewrite of an earlier one.

Templates see `finding` (None for `on: result`), `result` (the result that caused it) and
`profile` (that result's person). A destination reads structure from `context`:
- finding actions: finding_id, theme, share, interviews, mentions, sentiment, status,
  period, change (`appeared`, `moved`, `receded`), share_before, recipe_id, recipe, link;
- result actions: result_id, themes (labels), sentiment (label), sentiment_score, quality,
  interview_date (YYYY-MM-DD), completed_at, recipe_id, recipe, link; and `result` as
  {result_id, themes: [{label, confidence}], sentiment: {label, score}, quality, completed_at}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from functools import lru_cache
from typing import Any

from flask import current_app
from jinja2 import Template

from connectors.sdk.actions import Action, Quote, Respondent
from hub.models import Finding, FindingChange, InterviewResult
from recipes.engine.templates import ENV

MAX_FIELD = 32_000
"""Characters kept of a rendered field: more than any destination's field takes (Jira's 32,767)."""


class RenderProblem(ValueError):
    """A template that failed on these values; the row is refused, naming the field."""


def public_url() -> str:
    return str(current_app.config["JOURNEYHUB"].journeyhub_public_url).rstrip("/")


def result_link(result_id: int) -> str:
    return f"{public_url()}/api/v1/results/{result_id}"


def finding_link(finding_id: int) -> str:
    return f"{public_url()}/api/v1/findings/{finding_id}"


def quote_url(result_id: int, turn: int) -> str:
    """The quote's transcript turn in its result (`transcript[turn]` of GET /api/v1/results/<id>)."""
    return f"{result_link(result_id)}#turn-{turn}"


def result_variables(result: InterviewResult, recipe: str) -> dict[str, Any]:
    return {
        "id": result.id,
        "recipe_id": result.recipe_id,
        "recipe": recipe,
        "campaign_id": result.campaign_id,
        "profile_id": result.profile_id,
        "themes": [dict(t) for t in result.themes],
        "theme_labels": [str(t["label"]) for t in result.themes],
        "sentiment": {"label": result.sentiment_label, "score": result.sentiment_score},
        "quality": result.quality,
        "completed_at": result.completed_at.isoformat(),
        "interview_date": result.completed_at.date().isoformat(),
        "quotes": [_quote(q, result.id) for q in result.quotes],
        "answers": [dict(a) for a in result.answers],
        "respondent": dict(result.respondent),
        "link": result_link(result.id),
    }


def finding_variables(finding: Finding, change: FindingChange, recipe: str) -> dict[str, Any]:
    return {
        "id": finding.id,
        "recipe_id": finding.recipe_id,
        "recipe": recipe,
        "period": finding.period,
        "theme": finding.theme,
        "share": change.share,
        "share_percent": round(change.share * 100),
        "share_before": change.share_before,
        "interviews": change.interviews,
        "mentions": change.mentions,
        "sentiment": round(finding.sentiment_sum / finding.mentions, 3) if finding.mentions else 0.0,
        "status": finding.status,
        "change": change.kind,
        "first_seen_at": finding.first_seen_at.isoformat(),
        "quotes": [_quote(q, int(q["result_id"])) for q in finding.quotes],
        "link": finding_link(finding.id),
    }


def profile_variables(profile_id: int | None, traits: Mapping[str, Any], email: str | None) -> dict[str, Any]:
    return {"id": profile_id, "email": email, "traits": dict(traits)}


def _quote(quote: Mapping[str, Any], result_id: int) -> dict[str, Any]:
    turn = int(quote.get("turn", 0))
    return {
        "text": str(quote["text"]),
        "turn": turn,
        "result_id": result_id,
        "url": quote_url(result_id, turn),
    }


def render_fields(fields: Mapping[str, str], variables: Mapping[str, Any]) -> dict[str, str]:
    """Each field's template rendered; RenderProblem naming the first field that fails."""
    out = {}
    for name, text in fields.items():
        try:
            out[name] = _compiled(text).render(variables)[:MAX_FIELD]
        except (
            Exception
        ) as exc:  # the sandbox raises SecurityError, TemplateError, and the values' own errors
            raise RenderProblem(f"fields.{name}: {type(exc).__name__}: {exc}"[:500]) from None
    return out


@lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    return ENV.from_string(text)


def finding_action(operation: str, fields: Mapping[str, str], variables: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of an action on a finding (the outbox row's payload), its key and thread not yet known."""
    finding = variables["finding"]
    share, interviews = f"{finding['share']:.0%}", finding["interviews"]
    title = f"Finding: {finding['theme']}, {share} of {interviews} interviews"
    if finding["change"] != "appeared":
        before = finding["share_before"]
        was = f" (was {before:.0%})" if before is not None else ""
        title = (
            f"Finding {finding['change']}: {finding['theme']}, now {share} of {interviews} interviews{was}"
        )
    quotes = [Quote(q["text"], q["url"], q["result_id"]) for q in finding["quotes"]]
    text = "\n".join(
        [
            f"Theme: {finding['theme']}",
            f"Share: {share} of {interviews} qualifying interviews ({finding['mentions']} mentions)",
            f"Recipe: {finding['recipe']}",
            f"Sentiment: {finding['sentiment']:+.2f}",
            *_quote_lines(quotes),
            f"Finding: {finding['link']}",
        ]
    )
    context = {k: finding[k] for k in _FINDING_CONTEXT} | {"finding_id": finding["id"]}
    return stored(operation, render_fields(fields, variables), title, text, finding["link"], quotes, context)


def result_action(operation: str, fields: Mapping[str, str], variables: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of an action on one result (the outbox row's payload)."""
    result = variables["result"]
    themes = ", ".join(result["theme_labels"]) or "none"
    sentiment = result["sentiment"]["label"] or "unknown"
    title = f"Interview {result['id']}: {themes} ({sentiment}, quality {result['quality']})"
    quotes = [Quote(q["text"], q["url"], q["result_id"]) for q in result["quotes"]]
    text = "\n".join(
        [
            f"Themes: {themes}",
            f"Sentiment: {sentiment}",
            f"Quality: {result['quality']} of 5",
            f"Interviewed: {result['interview_date']}",
            *_quote_lines(quotes),
            f"Result: {result['link']}",
        ]
    )
    context = {k: result[k] for k in _RESULT_CONTEXT} | {
        "result_id": result["id"],
        "themes": result["theme_labels"],
        "sentiment": result["sentiment"]["label"],
        "sentiment_score": result["sentiment"]["score"],
        "result": {
            "result_id": result["id"],
            "themes": result["themes"],
            "sentiment": result["sentiment"],
            "quality": result["quality"],
            "completed_at": result["completed_at"],
        },
    }
    return stored(operation, render_fields(fields, variables), title, text, result["link"], quotes, context)


_FINDING_CONTEXT = (
    "theme", "share", "interviews", "mentions", "sentiment", "status", "period", "change",
    "share_before", "recipe_id", "recipe", "link",
)  # fmt: skip
_RESULT_CONTEXT = ("quality", "interview_date", "completed_at", "recipe_id", "recipe", "link")


def _quote_lines(quotes: list[Quote]) -> list[str]:
    return ["Quotes:", *(f'- "{q.text}" ({q.url})' for q in quotes)] if quotes else []


def stored(
    operation: str,
    fields: dict[str, str],
    title: str,
    text: str,
    link: str,
    quotes: list[Quote],
    context: dict[str, Any],
) -> dict[str, Any]:
    return {
        "operation": operation,
        "fields": fields,
        "title": title[:500],
        "text": text,
        "link": link,
        "quotes": [asdict(q) for q in quotes],
        "context": context,
    }


def to_action(
    stored: Mapping[str, Any], key: str, operation: str, thread: str | None, respondent: Respondent | None
) -> Action:
    """The stored action as a destination is given it, performed as `operation` (a comment with no
    issue to thread to is performed as create_issue)."""
    return Action(
        key=key,
        operation=operation,  # type: ignore[arg-type]  # one of the stored, validated operations
        fields=dict(stored.get("fields") or {}),
        title=str(stored.get("title", "")),
        text=str(stored.get("text", "")),
        link=str(stored.get("link", "")),
        quotes=[
            Quote(str(q["text"]), str(q["url"]), int(q["result_id"])) for q in stored.get("quotes") or []
        ],
        respondent=respondent,
        thread=thread,
        context=dict(stored.get("context") or {}),
    )
