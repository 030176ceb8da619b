"""Time filters for the hub's UTC columns: flask-admin parses times without a zone; the hub
stores aware UTC (hub.db.UTCDateTime refuses naive ones), so times typed in filters are UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_admin.contrib.sqla.filters import (
    DateTimeBetweenFilter,
    DateTimeGreaterFilter,
    DateTimeSmallerFilter,
)


class After(DateTimeGreaterFilter):
    def clean(self, value: str) -> datetime:
        return super().clean(value).replace(tzinfo=UTC)


class Before(DateTimeSmallerFilter):
    def clean(self, value: str) -> datetime:
        return super().clean(value).replace(tzinfo=UTC)


class Between(DateTimeBetweenFilter):
    def clean(self, value: str) -> list[datetime]:
        return [moment.replace(tzinfo=UTC) for moment in super().clean(value)]


def when(column: Any, label: str) -> list[Any]:
    return [After(column, label), Before(column, label), Between(column, label)]
