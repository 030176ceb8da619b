"""The two pages people reach from an invite: `/i/<token>` (to the interview) and `/u/<token>` (opt out).

Public, outside /api/v1: the signed token is the only credential. A link that was altered,
cut short, has expired or names an invite that is gone gets a 400 page that says so, never a
redirect. `GET /u/<token>` only asks (mail scanners fetch links); `POST /u/<token>` opts out,
which is also what a mail client's one-click unsubscribe sends (RFC 8058).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, redirect, render_template_string
from werkzeug.wrappers import Response

from hub.db import db, utcnow
from hub.models import Campaign, Invite
from recipes.campaigns.links import LinkProblem, read_invite, read_unsubscribe
from recipes.campaigns.optout import opt_out

bp = Blueprint("invite_pages", __name__)
MAX_TOKEN = 4096
OPENS = ("pending", "sent", "failed")
"""An invite followed from these states is now opened; later states stay as they are."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body><h1>{{ title }}</h1><p>{{ text }}</p>
{% if form %}<form method="post"><button type="submit">Stop research invitations</button></form>{% endif %}
</body></html>"""


def page(title: str, text: str, status: int = 200, *, form: bool = False) -> Response:
    response = Response(
        render_template_string(PAGE, title=title, text=text, form=form), status, mimetype="text/html"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refused(problem: str) -> Response:
    return page("This link cannot be used", problem, 400)


@bp.get("/i/<path:token>")
def follow_invite(token: str) -> Response:
    if len(token) > MAX_TOKEN:
        return _refused("This invitation link is not valid: it is far longer than any we send.")
    try:
        link = read_invite(token)
    except LinkProblem as problem:
        return _refused(str(problem))
    invite = db.session.get(Invite, link.invite_id)
    campaign = db.session.get(Campaign, invite.campaign_id) if invite is not None else None
    if invite is None or campaign is None:
        return _refused("This invitation is no longer available.")
    if invite.status in OPENS:
        invite.status, invite.updated_at = "opened", utcnow()
        db.session.commit()
    target = with_query(str(campaign.definition["interview_url"]), link.context, token)
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def with_query(url: str, context: dict[str, Any], token: str) -> str:
    """The interview URL with the context and the invite token added to its own query."""
    parts = urlsplit(url)
    ours = {name: _text(value) for name, value in context.items()} | {"invite_token": token}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    return urlunsplit(parts._replace(query=urlencode([*kept, *ours.items()])))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


@bp.get("/u/<path:token>")
def ask_opt_out(token: str) -> Response:
    problem = _unsubscribe_problem(token)
    if problem is not None:
        return _refused(problem)
    return page(
        "Stop research invitations?",
        "We will not invite you to research interviews again. Press the button to confirm.",
        form=True,
    )


@bp.post("/u/<path:token>")
def confirm_opt_out(token: str) -> Response:
    """RFC 8058 one-click: a POST with `List-Unsubscribe=One-Click` (the body is not needed)."""
    problem = _unsubscribe_problem(token)
    if problem is not None:
        return _refused(problem)
    opt_out(read_unsubscribe(token), utcnow())
    return page("You are opted out", "You will not be invited to research interviews again. Thank you.")


def _unsubscribe_problem(token: str) -> str | None:
    if len(token) > MAX_TOKEN:
        return "This unsubscribe link is not valid: it is far longer than any we send."
    try:
        read_unsubscribe(token)
    except LinkProblem as problem:
        return str(problem)
    return None
