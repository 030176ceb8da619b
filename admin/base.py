"""What every admin page shares: it needs a signed-in admin, and lists read a page at a time.

flask-admin's model views are given the flask-sqlalchemy-lite extension and ask it for the
request's session each time they query.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_login import current_user
from markupsafe import Markup

from hub.db import db

PAGE_SIZE = 25


class Secured:
    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("jh_admin.login", next=request.full_path.rstrip("?")))


class SecuredView(Secured, BaseView):
    """A page of our own (tokens, a profile's story) behind the same sign-in."""


class ReadOnlyView(Secured, ModelView):
    """A list that pages on the server (`page_size`, counted by the database) and a details page."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    can_set_page_size = True
    page_size = PAGE_SIZE
    page_size_options = (25, 50, 100)
    column_display_pk = True
    named_filter_urls = True
    """`?flt0_status_equals=dead` rather than a position: links to a filtered list stay readable."""
    column_default_sort = ("id", True)
    list_template = "jh/list.html"
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: lambda view, value, name: moment(value)}
    column_type_formatters_detail = {
        **typefmt.DETAIL_FORMATTERS,
        datetime: lambda view, value, name: moment(value),
        dict: lambda view, value, name: as_json(value),
    }

    def __init__(self, model: Any, name: str, category: str | None = None, **kwargs: Any) -> None:
        super().__init__(model, db, name=name, category=category, **kwargs)


def moment(value: datetime) -> str:
    """To the second, in UTC like everything the hub stores: microseconds are noise to a reader."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def as_json(value: Any) -> Markup:
    return Markup('<pre class="jh-json">{}</pre>').format(
        json.dumps(value, indent=2, ensure_ascii=False, default=str)
    )


def link(endpoint: str, label: object, **values: Any) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for(endpoint, **values), label)


def details_link(view: str, row_id: int | None, label: object = None) -> Markup | str:
    """A link to another view's details page, for ids shown in lists."""
    if row_id is None:
        return ""
    return link(f"{view}.details_view", label if label is not None else f"#{row_id}", id=row_id)


def badge(status: str | None) -> Markup:
    colours = {
        "ok": "success",
        "sent": "success",
        "completed": "success",
        "succeeded": "success",
        "finding": "success",
        "pending": "secondary",
        "queued": "secondary",
        "scheduled": "secondary",
        "running": "info",
        "opened": "info",
        "emerging": "info",
        "failed": "danger",
        "dead": "danger",
        "needs_attention": "warning",
        "expired": "warning",
    }
    text = status or "—"
    return Markup('<span class="badge badge-{}">{}</span>').format(colours.get(text, "light"), text)
