"""The overview: what needs a person now (connections needing attention, dead outbox rows) and where to go."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_admin import AdminIndexView, expose

from admin.base import Secured
from hub.db import db
from hub.models import Connection, Finding, Outbox


class HomeView(Secured, AdminIndexView):
    @expose("/")
    def index(self) -> Any:
        figures = {
            "connections": _count(sa.select(sa.func.count()).select_from(Connection)),
            "attention": _count(
                sa.select(sa.func.count()).select_from(Connection).where(Connection.status != "ok")
            ),
            "dead": _count(sa.select(sa.func.count()).select_from(Outbox).where(Outbox.status == "dead")),
            "findings": _count(
                sa.select(sa.func.count()).select_from(Finding).where(Finding.status == "finding")
            ),
        }
        return self.render("jh/index.html", figures=figures)


def _count(stmt: sa.Select[Any]) -> int:
    """Each figure is one indexed or small count, never a scan the page waits on for long."""
    return int(db.session.scalar(stmt) or 0)
