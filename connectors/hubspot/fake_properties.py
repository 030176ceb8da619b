"""The HubSpot fake's contact property definitions (`GET /crm/v3/properties/contacts`).

hubspot-api-client validates each `Property` it reads: `name`, `label`, `type`,
`fieldType`, `groupName`, `description` and `options` must be present, so every
definition carries them; `modificationMetadata.readOnlyValue` marks what a client cannot
write (the ids and dates HubSpot keeps itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CREATED = "2019-10-30T03:30:17.883Z"


def definition(name: str, *, read_only: bool, custom: bool) -> dict[str, Any]:
    is_date = name in ("createdate", "lastmodifieddate")
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": "datetime" if is_date else "string",
        "fieldType": "date" if is_date else "text",
        "groupName": "contactinformation",
        "description": "",
        "options": [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": name in ("email", "hs_object_id"),
        "hidden": False,
        "hubspotDefined": not custom,
        "formField": not read_only,
        "createdAt": CREATED,
        "updatedAt": CREATED,
        "archived": False,
        "modificationMetadata": {
            "archivable": custom,
            "readOnlyDefinition": not custom,
            "readOnlyValue": read_only,
        },
    }


def properties_page(
    standard: Iterable[str], custom: Iterable[str], read_only: frozenset[str]
) -> dict[str, Any]:
    custom = set(custom)
    names = sorted(set(standard) | custom)
    return {"results": [definition(n, read_only=n in read_only, custom=n in custom) for n in names]}
