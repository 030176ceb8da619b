"""The Salesforce fake's `GET .../sobjects/Contact/describe` and its row locks.

A describe lists every field with the flags a client reads to know what it may write
(`updateable`, `createable`, `nillable`, `custom`); the fake's system fields (Id, Name,
dates) are read-only as in a real org. Locks imitate `UNABLE_TO_LOCK_ROW`, the per-record
error a collection update answers while another transaction holds the row: it passes on a
later attempt, so a client should retry only that record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TYPES = {
    "Id": "id",
    "Email": "email",
    "HasOptedOutOfEmail": "boolean",
    "AccountId": "reference",
    "CreatedDate": "datetime",
    "LastModifiedDate": "datetime",
}


def describe(sobject: str, fields: Iterable[str], read_only: frozenset[str], version: str) -> dict[str, Any]:
    return {
        "name": sobject,
        "label": sobject,
        "custom": False,
        "updateable": True,
        "createable": True,
        "urls": {"describe": f"/services/data/v{version}/sobjects/{sobject}/describe"},
        "fields": [
            {
                "name": name,
                "label": name.removesuffix("__c").replace("_", " "),
                "type": TYPES.get(name, "string"),
                "custom": name.endswith("__c"),
                "updateable": name not in read_only,
                "createable": name not in read_only,
                "nillable": name not in ("Id", "LastName"),
                "length": 0 if name in TYPES else 255,
            }
            for name in fields
        ],
    }


class Locks:
    """Record ids whose next `times` writes answer UNABLE_TO_LOCK_ROW."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def hold(self, record_ids: Iterable[str], times: int = 1) -> None:
        for record_id in record_ids:
            self._held[record_id] = times

    def refuses(self, record_id: str) -> bool:
        left = self._held.get(record_id, 0)
        if left <= 0:
            return False
        self._held[record_id] = left - 1
        return True
